"""Labelled synthetic printouts: one record at a time, or a folder with labels.csv.

Each record draws its labels, the features its ECG expresses, the signals, the layout, the
header and the scan settings from its own random streams, all spawned from one seed. So a
data set is reproducible record by record, and the same seed gives the same patient as PDF
or PNG, with or without scan artefacts (tests rely on that). A photo record is the PNG page
(drawn without scan artefacts) photographed by `synth.photo`, from a sixth stream.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image

from mtecg.geometry import CANONICAL_PX_PER_MM, RENDER_DPI
from mtecg.synth.header import draw_header
from mtecg.synth.labels import Labels, draw_expression, draw_labels
from mtecg.synth.layouts import (
    LAYOUTS,
    STRIP_LAYOUT_NAMES,
    Layout,
    StripLayout,
    jitter,
    strip_layout,
)
from mtecg.synth.paper import PAPER_NAMES, on_paper
from mtecg.synth.photo import Photo, draw_photo, page_to_photo, photograph
from mtecg.synth.printout import pdf_bytes, render_pdf, render_strip_pdf
from mtecg.synth.scan import Scan, draw_scan, png_bytes, scan_page
from mtecg.synth.signals import ECG, Expression, Signals, synthesize

#: 3 x 4 printouts (what "mixed" draws from), then strip printouts (6 x 2, 12 x 1, 6 x 1 over
#: two pages; as PDF, and the one-page ones also as scans, whose printed labels OCR reads).
BLOCK_LAYOUT_NAMES: tuple[str, ...] = tuple(LAYOUTS)
LAYOUT_NAMES: tuple[str, ...] = (*BLOCK_LAYOUT_NAMES, *STRIP_LAYOUT_NAMES)
MIXED = "mixed"
FORMATS = ("pdf", "png")
LABELS_CSV = "labels.csv"
CSV_COLUMNS = (
    "file",
    "scar",
    "lvef",
    "low_ef",
    "female",
    "diabetes",
    "hypertension",
    "smoking",
    "dyslipidaemia",
    "age",
    "layout",
    "format",
    "width",
    "height",
    "px_per_mm",
    "rotation_deg",
    "gain_mm_per_mv",
    "rhythm_leads",
    "panels",
    "territory",
    "expression",
    "photo",
    "photo_panels",
)


@dataclass(frozen=True)
class SynthRecord:
    """One synthetic printout and everything true about it.

    `data` is the file (PDF or PNG bytes). `panels` are the true boxes
    ({"lead", "box": [x0, y0, x1, y1]}) in pixels of the page at `px_per_mm`: for a PDF, the
    page rendered at 300 dpi; for a PNG, the image itself, in its unrotated frame (the image
    is turned `rotation_deg` counter-clockwise about its centre). A strip printout's panels
    also say their 1-based `page`, `start_s` and whether the window is the 3 x 4 one
    (`exact`); `strips` is its layout (None for 3 x 4 printouts, whose `layout` says all).

    A photo (`fmt` "jpg") keeps `panels`, `px_per_mm` and `size_px` for the flat page that was
    photographed; `photo` holds the camera settings (`synth.photo.page_to_photo(photo,
    size_px, points)` maps page px to photo px) and `photo_panels` the same boxes in the photo
    as quadrilaterals ({"lead", "quad": [[x, y] top-left, top-right, bottom-right,
    bottom-left]}), curl included.
    """

    data: bytes
    fmt: str
    layout: Layout
    labels: Labels
    expression: Expression
    ecg: ECG
    panels: list[dict[str, object]]
    px_per_mm: float
    rotation_deg: float
    size_px: tuple[int, int]
    strips: StripLayout | None = None
    photo: Photo | None = None
    photo_panels: list[dict[str, object]] | None = None

    @property
    def signals(self) -> Signals:
        """The drawn signals, (12, 5000) in mV, rows in `LEADS` order."""
        return self.ecg.signals

    def csv_row(self, file: str) -> dict[str, object]:
        """The record's labels.csv row, `file` being its path relative to the csv's folder."""
        clinical = self.labels.clinical
        return {
            "file": file,
            "scar": self.labels.scar,
            "lvef": self.labels.lvef,
            "low_ef": self.labels.low_ef,
            "female": clinical.female,
            "diabetes": clinical.diabetes,
            "hypertension": clinical.hypertension,
            "smoking": clinical.smoking,
            "dyslipidaemia": clinical.dyslipidaemia,
            "age": clinical.age,
            "layout": self.layout.name,
            "format": self.fmt,
            "width": self.size_px[0],
            "height": self.size_px[1],
            "px_per_mm": round(self.px_per_mm, 4),
            "rotation_deg": self.rotation_deg,
            "gain_mm_per_mv": self.layout.gain_mm_per_mv,
            "rhythm_leads": "|".join(self.layout.rhythm_leads),
            "panels": json.dumps(self.panels, separators=(",", ":")),
            "territory": self.expression.territory or "",
            "expression": json.dumps(
                {k: round(v, 3) for k, v in self.expression.strengths().items() if v > 0},
                separators=(",", ":"),
            ),
            "photo": json.dumps(dataclasses.asdict(self.photo)) if self.photo else "",
            "photo_panels": (
                json.dumps(self.photo_panels, separators=(",", ":")) if self.photo_panels else ""
            ),
        }


def _check(layout: str, fmt: str, photo: bool = False) -> None:
    if layout != MIXED and layout not in LAYOUT_NAMES:
        raise ValueError(f"unknown layout {layout!r}; known: {', '.join((*LAYOUT_NAMES, MIXED))}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if layout in STRIP_LAYOUT_NAMES and (
        photo or (fmt != "pdf" and strip_layout(layout).pages > 1)
    ):
        raise ValueError(f"layout {layout} is rendered as PDF only (a scan is one page)")


def _choose_layout(name: str, rng: np.random.Generator) -> Layout:
    """The named layout, or for "mixed" a random one, jittered."""
    if name == MIXED:
        return jitter(LAYOUTS[str(rng.choice(BLOCK_LAYOUT_NAMES))], rng)
    return LAYOUTS[name]


def make_record(
    seed: int | Sequence[int],
    layout: str = MIXED,
    fmt: str = "pdf",
    scan: Scan | None = None,
    paper: str | None = None,
    photo: Photo | bool = False,
) -> SynthRecord:
    """Draws one printout. `seed`: non-negative int(s); `layout`: a name or "mixed".

    For PNG, `scan` replaces the randomly drawn scan settings (e.g. `Scan(dpi=300)` for a
    clean straight rendering); the record's labels, signals and layout do not change with it.
    `paper` (a `synth.paper` style name) reprints the layout on that paper; None keeps its own.
    `photo` (True: random settings from `draw_photo`; or given settings) makes the record a
    JPEG phone photo of the page rendered at 150-250 dpi (or `scan`'s dpi); `fmt` is then
    ignored. The same seed gives the same patient and layout with or without a photo.
    """
    _check(layout, "png" if photo else fmt, bool(photo))
    streams = np.random.SeedSequence(list(np.atleast_1d(seed))).spawn(6)
    label_rng, signal_rng, layout_rng, header_rng, scan_rng, photo_rng = (
        np.random.default_rng(s) for s in streams
    )
    labels = draw_labels(label_rng)
    expression = draw_expression(labels, label_rng)
    ecg = synthesize(expression, signal_rng)
    if layout in STRIP_LAYOUT_NAMES:
        settings = None if fmt == "pdf" else (draw_scan(scan_rng) if scan is None else scan)
        return _strip_record(
            strip_layout(layout), labels, expression, ecg, header_rng, settings, scan_rng
        )
    chosen = _choose_layout(layout, layout_rng)
    if paper is not None:
        chosen = on_paper(chosen, paper)
    header = draw_header(labels, ecg.measurements, chosen.gain_mm_per_mv, header_rng)
    if photo:
        settings = scan or Scan(dpi=int(photo_rng.integers(150, 251)))
    else:
        settings = draw_scan(scan_rng) if scan is None else scan
    doc = render_pdf(chosen, ecg.signals, header)
    try:
        if fmt == "pdf" and not photo:
            data = pdf_bytes(doc)
            zoom = RENDER_DPI / 72
            rect = doc[0].rect.transform(pymupdf.Matrix(zoom, zoom)).irect
            px_per_mm, rotation, size = CANONICAL_PX_PER_MM, 0.0, (rect.width, rect.height)
        else:
            image = scan_page(doc[0], settings, scan_rng)
            data = png_bytes(image)
            px_per_mm, rotation = settings.px_per_mm, settings.rotation_deg
            size = (image.shape[1], image.shape[0])
    finally:
        doc.close()
    record = SynthRecord(
        data=data,
        fmt=fmt,
        layout=chosen,
        labels=labels,
        expression=expression,
        ecg=ecg,
        panels=chosen.panel_boxes(px_per_mm),
        px_per_mm=px_per_mm,
        rotation_deg=rotation,
        size_px=size,
    )
    if not photo:
        return record
    camera = draw_photo(photo_rng) if photo is True else photo
    return _photographed(record, image, camera)


def _photographed(record: SynthRecord, page: np.ndarray, photo: Photo) -> SynthRecord:
    """The record as a JPEG phone photo of its page, with its boxes carried into the photo."""
    image, _ = photograph(page, dataclasses.replace(photo, jpeg_quality=None))
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=photo.jpeg_quality or 95)
    quads = []
    for panel in record.panels:
        x0, y0, x1, y1 = (float(v) for v in panel["box"])  # type: ignore[attr-defined]
        corners = page_to_photo(photo, record.size_px, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        quads.append({"lead": panel["lead"], "quad": np.round(corners, 2).tolist()})
    return dataclasses.replace(
        record, data=buffer.getvalue(), fmt="jpg", photo=photo, photo_panels=quads
    )


def _strip_record(
    strips: StripLayout,
    labels: Labels,
    expression: Expression,
    ecg: ECG,
    rng: np.random.Generator,
    scan: Scan | None = None,
    scan_rng: np.random.Generator | None = None,
) -> SynthRecord:
    """A strip printout as a multi-page vector PDF, or (`scan`) its one page scanned as PNG.

    The true panels are on their pages, at the scan's px/mm for a scan (its unrotated frame).
    """
    paper = strips.paper
    header = draw_header(labels, ecg.measurements, paper.gain_mm_per_mv, rng, strips.speed_mm_s)
    doc = render_strip_pdf(strips, ecg.signals, header)
    try:
        if scan is None:
            data = pdf_bytes(doc)
            zoom = RENDER_DPI / 72
            rect = doc[0].rect.transform(pymupdf.Matrix(zoom, zoom)).irect
            px_per_mm, rotation, size = CANONICAL_PX_PER_MM, 0.0, (rect.width, rect.height)
        else:
            image = scan_page(doc[0], scan, scan_rng or np.random.default_rng(0))
            data = png_bytes(image)
            px_per_mm, rotation = scan.px_per_mm, scan.rotation_deg
            size = (image.shape[1], image.shape[0])
    finally:
        doc.close()
    return SynthRecord(
        data=data,
        fmt="pdf" if scan is None else "png",
        layout=paper,
        labels=labels,
        expression=expression,
        ecg=ecg,
        panels=strips.panel_boxes(px_per_mm),
        px_per_mm=px_per_mm,
        rotation_deg=rotation,
        size_px=size,
        strips=strips,
    )


def write_dataset(
    n: int,
    seed: int,
    out: Path,
    layout: str = MIXED,
    fmt: str = "pdf",
    paper: str | None = None,
    photo: bool = False,
) -> Path:
    """Writes n printouts (00000.pdf, ...) and out/labels.csv; returns the csv's path.

    Record i is `make_record((seed, i), layout, fmt, paper=paper, photo=photo)`, so the set is
    deterministic for a seed and any record can be regenerated on its own; photos are
    00000.jpg, ....
    """
    _check(layout, "png" if photo else fmt, photo)  # before anything is written
    if paper is not None and paper not in PAPER_NAMES:
        raise ValueError(f"unknown paper {paper!r}; known: {', '.join(PAPER_NAMES)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        record = make_record((seed, i), layout, fmt, paper=paper, photo=photo)
        name = f"{i:05d}.{record.fmt}"
        (out / name).write_bytes(record.data)
        rows.append(record.csv_row(name))
    path = out / LABELS_CSV
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    return path
