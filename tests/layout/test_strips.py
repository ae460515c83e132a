"""Pages printed as strips (6 x 2, 12 x 1, 6 x 1 over two pages, 25/50 mm/s, 5/10/20 mm/mV).

Every synthetic strip layout is read with each lead in its own panel, on the right page, its
box where the generator drew it; pages whose labels contradict the traces are refused; the two
real European multi-page exports are read with the right leads. Scans of 6 x 2 and 12 x 1
pages are read from their OCR'd labels and printed settings, or refused when those are
swapped, illegible or missing.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX, LEADS, PANEL_H_PX, PANEL_W_PX
from mtecg.ingest import open_document
from mtecg.layout import LayoutResult, find_layout, strip_scan
from mtecg.synth.dataset import SynthRecord, make_record
from mtecg.synth.header import Header
from mtecg.synth.layouts import STRIP_LAYOUT_NAMES, Strip, StripLayout, strip_layout
from mtecg.synth.printout import pdf_bytes, render_strip_pdf
from mtecg.synth.scan import Scan, png_bytes

BOX_TOLERANCE_MM = 1.5
HEADER = Header(lines=("Synthetic ECG for software testing",), settings="")


def _canonical_error_mm(record: SynthRecord, result: LayoutResult) -> float:
    """Worst box-edge error in mm of the canonical image (25 mm/s, 10 mm/mV).

    A 50 mm/s page draws a second twice as wide, a 20 mm/mV page a millivolt twice as tall:
    the same misplacement on paper is half as large once resampled, which is what the model
    sees. (On paper the boxes are within 1.2 mm on every layout at 25 mm/s and 10 mm/mV.)
    """
    assert record.strips is not None
    sx = 25.0 / record.strips.speed_mm_s
    sy = 10.0 / record.layout.gain_mm_per_mv
    truth = {p["lead"]: np.array(p["box"], dtype=float) for p in record.panels}
    errors = [
        max(np.abs(d[[0, 2]]).max() * sx, np.abs(d[[1, 3]]).max() * sy)
        for p in result.panels
        for d in [np.array(p.box) - truth[p.lead]]
    ]
    return float(max(errors)) / record.px_per_mm


@pytest.mark.parametrize("name", STRIP_LAYOUT_NAMES)
def test_every_strip_layout_is_read_where_it_was_drawn(name: str) -> None:
    _assert_read_where_drawn(make_record(21, name, "pdf"), name)


# 50 mm/s pages once refused as `lead_labels_contradict`: (31, 2) has 12 rows 14 mm apart with
# each label 5 mm above its baseline, so a search centred on the label saw only part of the
# row; on (31, 3) and (33, 11) the trace rises through a label just after t = 0, and erasing
# the label's whole box cut the row's start off.
@pytest.mark.parametrize(
    ("key", "name"),
    [((31, 2), "12x1-50mms"), ((31, 3), "12x1-50mms"), ((33, 11), "6x1-2page-50mms-20mm")],
)
def test_50mms_strips_crowded_or_crossing_their_labels_are_read(
    key: tuple[int, int], name: str
) -> None:
    _assert_read_where_drawn(make_record(key, name, "pdf"), name)


def _assert_read_where_drawn(record: SynthRecord, name: str) -> None:
    result = find_layout(open_document(record.data))
    truth = {p["lead"]: p for p in record.panels}
    assert [p.lead for p in result.panels] == list(LEADS)
    assert all(p.page == truth[p.lead]["page"] for p in result.panels)
    assert all(abs(p.start_s - truth[p.lead]["start_s"]) < 0.05 for p in result.panels)  # type: ignore[operator]
    exact = all(p["exact"] for p in record.panels)
    assert result.time_windows == ("exact" if exact else "approximate")
    assert exact == (record.strips is not None and record.strips.speed_mm_s == 25.0)
    assert result.paper_speed_mm_s == record.strips.speed_mm_s  # type: ignore[union-attr]
    assert result.gain_mm_mv == record.layout.gain_mm_per_mv
    assert result.layout_name == name.split("-50mms")[0].removesuffix("-5mm").removesuffix("-20mm")
    assert _canonical_error_mm(record, result) <= BOX_TOLERANCE_MM
    assert result.canonical.shape == (CANONICAL_H_PX, CANONICAL_W_PX, 3)
    for row in range(6):
        for col in range(2):
            tile = result.canonical[row * PANEL_H_PX : (row + 1) * PANEL_H_PX]
            assert (tile[:, col * PANEL_W_PX : (col + 1) * PANEL_W_PX] < 128).mean() > 0.002


def _pdf(layout: StripLayout) -> bytes:
    record = make_record(4, "12x1", "pdf")
    header = replace(HEADER, settings=f"{layout.speed_mm_s:g} mm/s    10 mm/mV")
    return pdf_bytes(render_strip_pdf(layout, record.signals, header))


def _refusal(data: bytes) -> Rejection:
    with pytest.raises(Rejection) as caught:
        find_layout(open_document(data))
    assert caught.value.code is RejectCode.UNSUPPORTED_LAYOUT
    return caught.value


def test_the_same_layout_drawn_directly_is_read() -> None:
    """The refusals below come from what they change, not from the way the PDF is drawn."""
    result = find_layout(open_document(_pdf(strip_layout("6x2"))))
    assert result.layout_name == "6x2"


@pytest.mark.parametrize(("name", "at_s"), [("6x2", 3.7), ("6x2-50mms", 1.2)])
def test_labels_away_from_the_strip_boundaries_are_refused(name: str, at_s: float) -> None:
    """Chest labels off every 2.5 s boundary (3.7 s; 1.2 s on a 5 s row at 50 mm/s, 30 mm
    past t = 0): no lead can be timed or trusted."""
    layout = strip_layout(name)
    moved = tuple(
        replace(s, start_s=at_s) if s.start_s > 0 else replace(s, end_s=at_s) for s in layout.strips
    )
    rejection = _refusal(_pdf(replace(layout, strips=moved)))
    assert rejection.reason == Reason.LEAD_LABELS_CONTRADICT


def test_a_missing_chest_page_is_refused() -> None:
    doc = pymupdf.open(stream=make_record(4, "6x1-2page", "pdf").data)
    doc.delete_page(2)
    rejection = _refusal(pdf_bytes(doc))
    assert rejection.reason == Reason.LEADS_MISSING
    assert "V1" in rejection.message


def test_a_lead_printed_on_two_pages_is_refused() -> None:
    """Limb leads again on the page after them: which copy the model should see is unknown.

    (Pages after all twelve leads are found, such as extra leads or a rhythm page, are not
    read at all.)
    """
    layout = strip_layout("6x1-2page")
    limbs = [s for s in layout.strips if s.page == 1]
    again = tuple(Strip(s.lead, 2, s.row, s.start_s, s.end_s) for s in limbs)
    chest = tuple(replace(s, page=3) for s in layout.strips if s.page == 2)
    rejection = _refusal(_pdf(replace(layout, strips=(*limbs, *again, *chest), pages=4)))
    assert rejection.reason == Reason.LEAD_LABELS_CONTRADICT


def test_a_label_far_from_any_trace_row_is_refused() -> None:
    """A second, earlier "I" printed in the header: the first label of a lead is its witness."""
    doc = pymupdf.open(stream=make_record(4, "12x1", "pdf").data)
    doc[0].insert_text((400, 40), "I", fontsize=9, fontname="helv")
    rejection = _refusal(pdf_bytes(doc))
    assert rejection.reason == Reason.LEAD_LABELS_CONTRADICT


def test_an_unreadable_stated_speed_is_refused() -> None:
    doc = pymupdf.open(stream=make_record(4, "6x2", "pdf").data)
    doc[0].insert_text((400, 40), "12.5 mm/s", fontsize=9, fontname="helv")
    assert _refusal(pdf_bytes(doc)).reason == Reason.PAPER_SPEED


# Real exports: (layout, pages, windows, speed). Checked by eye: the canonical images show
# I, II, III upright, aVR inverted, a small aVL, aVF upright; V1 with a deep S, R growing to V6.
REAL = {
    "biomarker_schiller_1282423.pdf": ("6x1-2page", (1, 2), "exact", 25.0),
    "biomarker_cardiosoft_testmann.pdf": ("6x1-2page", (1, 2), "approximate", 50.0),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_multi_page_exports_are_read_with_their_leads(samples: Path, name: str) -> None:
    source = open_document((samples / "pdf" / name).read_bytes())
    result = find_layout(source)
    layout, pages, windows, speed = REAL[name]
    assert (result.layout_name, result.pages, result.time_windows) == (layout, pages, windows)
    assert (result.paper_speed_mm_s, result.gain_mm_mv) == (speed, 10.0)
    assert [p.lead for p in result.panels] == list(LEADS)
    # Each panel is centred on the row its printed label names (labels sit within 8 mm of
    # their baseline on both exports), and limb leads come from page 1, chest leads from 2.
    ppmm = 300 / 25.4
    for index, page in enumerate(pages):
        words = (source if index == 0 else source.sibling(page - 1)).words()  # type: ignore[attr-defined]
        labels = {w[4]: (w[1] + w[3]) / 2 for w in words if w[4] in LEADS}
        for panel in result.panels:
            if panel.page == page:
                centre = (panel.box[1] + panel.box[3]) / 2
                assert abs(centre - labels[panel.lead]) < 8 * ppmm, panel
    assert {p.page for p in result.panels if p.lead in LEADS[6:]} == {pages[1]}


# Scans: no text layer, so the printed labels (OCR) prove the layout and the printed settings
# give speed and gain. Clean 300 dpi renderings and a crooked 200 dpi one.
SCANS = {
    "6x2": Scan(dpi=300),
    "6x2-50mms": Scan(dpi=300),
    "12x1": Scan(dpi=300, rotation_deg=2.5, blur_sigma_px=0.4),
    "12x1-50mms": Scan(dpi=300),
    "6x2-20mm": Scan(dpi=250, rotation_deg=-3.0, jpeg_quality=80),
}


@pytest.mark.parametrize("name", sorted(SCANS))
def test_strip_scans_are_read_with_their_leads_where_they_were_drawn(name: str) -> None:
    record = make_record(23, name, "png", scan=SCANS[name])
    result = find_layout(open_document(record.data))
    truth = {p["lead"]: p for p in record.panels}
    assert [p.lead for p in result.panels] == list(LEADS)
    assert result.layout_name == name.split("-")[0]
    assert result.labels_checked
    assert (result.paper_speed_mm_s, result.gain_mm_mv) == (
        record.strips.speed_mm_s,  # type: ignore[union-attr]
        record.layout.gain_mm_per_mv,
    )
    assert abs(result.rotation_deg - record.rotation_deg) < 0.3
    assert all(abs(p.start_s - truth[p.lead]["start_s"]) < 0.05 for p in result.panels)  # type: ignore[operator]
    assert _canonical_error_mm(record, result) <= BOX_TOLERANCE_MM


_PPMM = 300 / 25.4


def _scan_6x2() -> tuple[np.ndarray, StripLayout]:
    record = make_record(23, "6x2", "png", scan=Scan(dpi=300))
    assert record.strips is not None
    return np.array(Image.open(io.BytesIO(record.data)).convert("RGB")), record.strips


def _scan_refusal(pixels: np.ndarray) -> Rejection:
    with pytest.raises(Rejection) as caught:
        find_layout(open_document(png_bytes(pixels)))
    assert caught.value.code is RejectCode.UNSUPPORTED_LAYOUT
    return caught.value


def _strip_box(layout: StripLayout, lead: str) -> tuple[int, int, int, int]:
    """Where a lead's strip is printed, label included (300 dpi px)."""
    strip = next(s for s in layout.strips if s.lead == lead)
    x0, x1 = layout.strip_x_mm(strip), layout.strip_x_mm(replace(strip, start_s=strip.end_s))
    y = layout.baseline_mm(strip.row)
    half = layout.paper.row_pitch_mm / 2
    return (
        round(x0 * _PPMM),
        round((y - half) * _PPMM),
        round(x1 * _PPMM),
        round((y + half) * _PPMM),
    )


def test_a_strip_scan_with_two_leads_swapped_is_refused() -> None:
    """aVR and V4 trade places, traces and labels together: no known layout prints that."""
    pixels, layout = _scan_6x2()
    (ax0, ay0, ax1, ay1), (bx0, by0, _, _) = _strip_box(layout, "aVR"), _strip_box(layout, "V4")
    h, w = ay1 - ay0, ax1 - ax0
    first = pixels[ay0 : ay0 + h, ax0 : ax0 + w].copy()
    pixels[ay0 : ay0 + h, ax0 : ax0 + w] = pixels[by0 : by0 + h, bx0 : bx0 + w]
    pixels[by0 : by0 + h, bx0 : bx0 + w] = first
    _scan_refusal(pixels)


def _erase_labels(pixels: np.ndarray, layout: StripLayout, leads: set[str]) -> np.ndarray:
    """The scan with the named leads' printed labels painted white."""
    out = pixels.copy()
    for strip in layout.strips:
        if strip.lead in leads:
            x = layout.strip_x_mm(strip)
            y = layout.baseline_mm(strip.row) - 0.3 * layout.paper.row_pitch_mm
            rows = slice(round((y - 4) * _PPMM), round((y + 1) * _PPMM))
            out[rows, round(x * _PPMM) : round((x + 8) * _PPMM)] = 255
    return out


def test_a_strip_scan_with_illegible_labels_is_refused() -> None:
    pixels, layout = _scan_6x2()
    _scan_refusal(_erase_labels(pixels, layout, set(LEADS) - {"I", "II", "III"}))


def test_a_6x2_scan_is_never_read_as_3x4_when_its_labels_cannot_tell() -> None:
    """This scan's six rows fit a 3 x 4 block with three rhythm strips, and the labels OCR
    reads (I/II/III, V1-V3) stand where such a page prints them; only aVR/aVL/aVF 62.5 mm in
    prove a 3 x 4, and too few lettered labels are legible to prove the 6 x 2 either."""
    record = make_record((22, 3), "6x2", "png")
    rejection = _scan_refusal(np.array(Image.open(io.BytesIO(record.data)).convert("RGB")))
    assert rejection.reason == Reason.LEAD_LABELS_CONTRADICT


def test_a_strip_scan_without_legible_settings_is_read_from_its_pulses() -> None:
    """Its rows are 250 mm at 25 and at 50 mm/s alike; the 0.2 s wide, 1 mV tall calibration
    pulses tell the speed and gain where the printed settings are gone."""
    for name in ("6x2", "6x2-50mms-20mm"):
        record = make_record(23, name, "png", scan=Scan(dpi=300))
        assert record.strips is not None
        pixels = np.array(Image.open(io.BytesIO(record.data)).convert("RGB"))
        pixels[: round((record.strips.paper.baseline0_mm - 15) * _PPMM)] = 255
        result = find_layout(open_document(png_bytes(pixels)))
        assert result.layout_name == "6x2"
        assert result.paper_speed_mm_s == record.strips.speed_mm_s
        assert result.gain_mm_mv == record.layout.gain_mm_per_mv
        assert _canonical_error_mm(record, result) <= BOX_TOLERANCE_MM


def test_a_strip_scan_without_legible_settings_or_pulses_is_refused() -> None:
    pixels, layout = _scan_6x2()
    pixels[: round((layout.paper.baseline0_mm - 15) * _PPMM)] = 255
    pixels[:, : round((layout.paper.x0_mm - 2) * _PPMM)] = 255
    assert _scan_refusal(pixels).reason == Reason.PAPER_SPEED


def test_a_scans_speed_is_what_its_text_and_pulses_agree_on() -> None:
    assert strip_scan.speed_from("50mm/s 10mm/mV", None) == 50.0
    assert strip_scan.speed_from("", 50.0) == 50.0
    assert strip_scan.speed_from("25 mm/s", 25.0) == 25.0
    assert strip_scan.speed_from("12.5 mm/s", 25.0) == 25.0  # a speed not read is no witness
    for text, pulse in (("25 mm/s", 50.0), ("50mm/s", 25.0), ("10 mm/mV", None)):
        with pytest.raises(Rejection) as refused:
            strip_scan.speed_from(text, pulse)
        assert refused.value.reason == Reason.PAPER_SPEED


def test_a_scans_gain_is_what_its_text_and_pulses_agree_on() -> None:
    """Either witness alone will do; two that disagree, or none, are a refusal."""
    assert strip_scan.gain_from("25mm/s 10mm/mV", None) == 10.0
    assert strip_scan.gain_from("25mm/s 140mm/mV", 10.0) == 10.0  # a misread is no witness
    assert strip_scan.gain_from("25mm/s 20mm/mV", 20.0) == 20.0
    for text, pulse in (("25mm/s 20mm/mV", 10.0), ("25mm/s", None)):
        with pytest.raises(Rejection) as refused:
            strip_scan.gain_from(text, pulse)
        assert refused.value.reason == Reason.GAIN
