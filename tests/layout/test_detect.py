"""Automatic layout detection on synthetic printouts whose true panel boxes are known.

Every named synthetic layout (page sizes, offsets, rhythm strips, grid colours, gains) is read
as a vector PDF and as a scan at other resolutions, rotations and artefacts; the detected
boxes must land where the generator drew the leads.
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX, LEADS
from mtecg.ingest import open_document
from mtecg.layout import LayoutResult, find_layout
from mtecg.synth.dataset import BLOCK_LAYOUT_NAMES, SynthRecord, make_record
from mtecg.synth.header import Header
from mtecg.synth.layouts import LAYOUTS
from mtecg.synth.printout import pdf_bytes, render_pdf
from mtecg.synth.scan import Scan, png_bytes, scan_page

# Largest allowed distance between a detected and a true box edge, in millimetres of paper
# (1 mm = 11.8 px at 300 dpi; a panel is 59.4 x 29.6 mm).
BOX_TOLERANCE_MM = 1.5


def _box_error_mm(record: SynthRecord, result: LayoutResult) -> float:
    truth = {p["lead"]: np.array(p["box"], dtype=float) for p in record.panels}
    errors = [np.abs(np.array(p.box) - truth[p.lead]).max() for p in result.panels]
    return float(max(errors)) / record.px_per_mm


def _check(record: SynthRecord, result: LayoutResult) -> None:
    assert result.profile == "auto"
    assert [p.lead for p in result.panels] == list(LEADS)
    assert abs(result.px_per_mm - record.px_per_mm) / record.px_per_mm < 0.01
    assert abs(result.rotation_deg - record.rotation_deg) < 0.3
    assert result.rhythm_strips == len(record.layout.rhythm_leads)
    assert _box_error_mm(record, result) <= BOX_TOLERANCE_MM
    assert result.canonical.shape == (CANONICAL_H_PX, CANONICAL_W_PX, 3)


@pytest.mark.parametrize("layout", BLOCK_LAYOUT_NAMES)
def test_vector_pdf_of_every_layout(layout: str) -> None:
    record = make_record(11, layout, "pdf")
    _check(record, find_layout(open_document(record.data)))


@pytest.mark.parametrize(
    ("layout", "dpi", "rotation"),
    [
        ("siriraj-grid", 300, 0.0),
        ("letter-3x4-1r", 200, 4.5),
        ("a4-3x4-3r", 150, -7.0),
        ("a4-3x4-0r", 240, 9.5),
        ("a4-green-2r-5mm", 300, -9.8),
        ("letter-grey-1r-20mm", 180, 2.0),
        ("a4-coarse-1r", 220, -3.0),
    ],
)
def test_clean_scans_at_other_scales_and_rotations(layout: str, dpi: int, rotation: float) -> None:
    record = make_record(12, layout, "png", scan=Scan(dpi=dpi, rotation_deg=rotation))
    _check(record, find_layout(open_document(record.data)))


def test_scans_with_random_artefacts_are_mostly_read_and_never_misread() -> None:
    """Blur, noise, JPEG, uneven light and tint: each page is read right or refused."""
    read = 0
    for seed in range(12):
        record = make_record((5, seed), "mixed", "png")
        try:
            result = find_layout(open_document(record.data))
        except Rejection as rejection:
            assert rejection.code in (RejectCode.UNREADABLE, RejectCode.UNSUPPORTED_LAYOUT)
            continue
        _check(record, result)
        read += 1
    assert read >= 9


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def _refusal(data: bytes) -> RejectCode:
    with pytest.raises(Rejection) as caught:
        find_layout(open_document(data))
    assert caught.value.message
    return caught.value.code


def test_blank_page_is_not_an_ecg() -> None:
    assert _refusal(_png(np.full((1700, 2200, 3), 250, np.uint8))) is RejectCode.NOT_ECG


def test_photo_like_image_is_not_an_ecg() -> None:
    rng = np.random.default_rng(3)
    small = rng.integers(0, 256, size=(12, 16, 3)).astype(np.uint8)
    photo = np.asarray(Image.fromarray(small).resize((1600, 1200), Image.Resampling.BICUBIC))
    assert _refusal(_png(photo)) is RejectCode.NOT_ECG


def test_text_document_is_not_an_ecg() -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=842, height=595)
    for i in range(40):
        page.insert_text((40, 40 + 13 * i), "Discharge summary line with words " * 4, fontsize=9)
    assert _refusal(doc.tobytes()) is RejectCode.NOT_ECG


def test_low_resolution_scan_is_refused_as_such() -> None:
    record = make_record(13, "a4-3x4-0r", "png", scan=Scan(dpi=75))
    assert _refusal(record.data) is RejectCode.TOO_LOW_RESOLUTION


@pytest.mark.parametrize(
    "name", ["biomarker_schiller_1282423.pdf", "biomarker_cardiosoft_testmann.pdf"]
)
def test_strip_printouts_without_a_text_layer_are_refused(samples, name: str) -> None:  # type: ignore[no-untyped-def]
    """The real 6 x 1 exports as scans: nothing proves which row is which lead (the PDFs
    themselves are read from their labels, tests/layout/test_strips.py)."""
    import pymupdf

    data = (samples / "pdf" / name).read_bytes()
    page_png = pymupdf.open(stream=data)[0].get_pixmap(dpi=200).tobytes("png")
    assert _refusal(page_png) is RejectCode.UNSUPPORTED_LAYOUT


def test_canonical_image_has_the_grid_removed() -> None:
    record = make_record(14, "siriraj-grid", "pdf")
    canonical = find_layout(open_document(record.data)).canonical
    chroma = canonical.max(axis=2).astype(int) - canonical.min(axis=2)
    assert chroma.max() == 0  # no grid colour left
    assert 0.002 < (canonical < 128).mean() < 0.08  # some trace, mostly paper


def _far_apart_rows(fmt: str) -> tuple[bytes, list[dict[str, object]]]:
    """A letter page whose three rows are spread 65 mm apart (no rhythm strip)."""
    layout = dataclasses.replace(
        LAYOUTS["letter-3x4-1r"], rhythm_leads=(), row_pitch_mm=65.0, baseline0_mm=44.0
    )
    assert layout.fits_page()
    header = Header(lines=("Synthetic ECG for software testing",), settings="25 mm/s 10 mm/mV")
    doc = render_pdf(layout, make_record(11, "letter-3x4-1r", "pdf").signals, header)
    try:
        if fmt == "pdf":
            return pdf_bytes(doc), layout.panel_boxes(300 / 25.4)
        image = scan_page(doc[0], Scan(dpi=200), np.random.default_rng(0))
        return png_bytes(image), layout.panel_boxes(200 / 25.4)
    finally:
        doc.close()


def test_a_pdf_with_rows_far_apart_is_read_by_its_labels() -> None:
    data, panels = _far_apart_rows("pdf")
    result = find_layout(open_document(data))
    truth = {p["lead"]: np.array(p["box"], dtype=float) for p in panels}
    assert [p.lead for p in result.panels] == list(LEADS)
    assert max(np.abs(np.array(p.box) - truth[p.lead]).max() for p in result.panels) <= (
        BOX_TOLERANCE_MM * 300 / 25.4
    )


def test_a_scan_with_rows_far_apart_is_refused_as_rows_missing() -> None:
    """Without a text layer nothing names the rows before the fit: rows 65 mm apart look like
    a block with rows missed between them (a known gap, not a misread)."""
    data, _ = _far_apart_rows("png")
    with pytest.raises(Rejection) as refused:
        find_layout(open_document(data))
    assert refused.value.reason == Reason.ROWS_MISSING
