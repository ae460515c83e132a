"""PDF printouts: page geometry, true panel boxes against the drawn traces, text, grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymupdf
import pytest
from synth_checks import box_of, dark, expected_curve, match_curve, render

from mtecg.geometry import LEADS, PANEL_H_MM
from mtecg.layout.profiles import PROFILES, remove_grid_colours
from mtecg.synth.dataset import LAYOUT_NAMES, SynthRecord, make_record
from mtecg.synth.layouts import LAYOUTS, SIRIRAJ_GRID

SEED = 17


@dataclass(frozen=True)
class Page:
    record: SynthRecord
    image: np.ndarray
    words: list[tuple[float, float, float, float]]


@pytest.fixture(scope="module")
def siriraj() -> Page:
    record = make_record(SEED, "siriraj-grid", "pdf")
    image, words = render(record.data)
    return Page(record, image, words)


def test_siriraj_page_and_boxes_match_the_published_geometry(siriraj: Page) -> None:
    record, image = siriraj.record, siriraj.image
    assert image.shape[:2] == (2480, 3508)
    assert record.size_px == (3508, 2480)
    assert record.px_per_mm == pytest.approx(300 / 25.4)
    published = {p.lead: list(p.box) for p in PROFILES["siriraj-grid"].panels()}
    assert {p["lead"]: p["box"] for p in record.panels} == published


@pytest.mark.parametrize(
    "layout",
    ["siriraj-grid", "a4-3x4-0r", "letter-3x4-1r", "a4-3x4-3r", "letter-grey-1r-20mm"],
)
def test_each_lead_is_drawn_where_its_true_box_says(layout: str) -> None:
    """The box's left edge is t = 0 of the lead's segment and its centre line is 0 mV.

    Checked for every lead on the rendered page; a box moved by 3 mm must fail the same check,
    so the check can tell a right box from a wrong one.
    """
    record = make_record(SEED, layout, "pdf")
    image, words = render(record.data)
    ink = dark(image)
    tol = 3.0
    rows_apart = record.layout.row_pitch_mm >= PANEL_H_MM  # no other row's trace in the box
    for lead in LEADS:
        box = box_of(record, lead)
        xs, ys = expected_curve(record, lead, box)
        m = match_curve(ink, xs, ys, box, tol, words)
        assert m.recall > 0.97 and m.active_recall > 0.95, (lead, m)
        if rows_apart:
            assert m.precision > 0.97, (lead, m)
        shift = round(3 * record.px_per_mm)
        moved = [box[0], box[1] + shift, box[2], box[3] + shift]
        xs, ys = expected_curve(record, lead, moved)
        assert match_curve(ink, xs, ys, moved, tol).active_recall < 0.5, lead
        later = [box[0] + shift, box[1], box[2] + shift, box[3]]
        xs, ys = expected_curve(record, lead, later)
        assert match_curve(ink, xs, ys, later, tol).active_recall < 0.7, lead


def test_trace_stays_inside_its_box_on_the_siriraj_page(siriraj: Page) -> None:
    """Rows 350 px apart: all trace ink of the block lies inside the union of the boxes."""
    record, ink = siriraj.record, dark(siriraj.image)
    for x0, y0, x1, y1 in siriraj.words:
        ink[int(y0) - 2 : int(y1) + 3, int(x0) - 2 : int(x1) + 3] = False
    inside = np.zeros_like(ink)
    for panel in record.panels:
        bx0, by0, bx1, by1 = panel["box"]
        inside[by0:by1, bx0:bx1] = True
    boxes = np.array([p["box"] for p in record.panels])
    top, bottom = boxes[:, 1].min(), boxes[:, 3].max()
    right = boxes[:, 2].max()
    x0 = boxes[:, 0].min()
    block = np.zeros_like(ink)
    block[top:bottom, x0:right] = True
    assert (ink & inside).sum() > 12 * 700  # every panel holds trace ink
    stray = ink & block & ~inside
    # the only ink between boxes: each column's last 3 mm of trace before the next column
    gaps = np.zeros_like(ink)
    for x in sorted(set(boxes[:, 2])):
        gaps[:, x : x + round(3.5 * record.px_per_mm)] = True
    assert not (stray & ~gaps).any()


def test_calibration_pulse_before_the_block_start(siriraj: Page) -> None:
    record, ink = siriraj.record, dark(siriraj.image)
    ppmm, gain = record.px_per_mm, record.layout.gain_mm_per_mv
    for lead in ("I", "II", "III"):
        x0, y0, _, y1 = box_of(record, lead)
        top = round((y0 + y1) / 2 - gain * ppmm)  # 1 mV above the baseline
        band = ink[top - 3 : top + 4, :x0]
        columns = np.flatnonzero(band.any(axis=0))
        assert len(columns) >= 4 * ppmm  # a flat top about 0.2 s = 5 mm long
        assert columns.max() < x0  # left of panel 0


def test_text_layer_labels_each_panel_and_header_is_synthetic(siriraj: Page) -> None:
    record = siriraj.record
    with pymupdf.open(stream=record.data, filetype="pdf") as doc:
        page = doc[0]
        text = page.get_text()
        k = 300 / 72
        words = [(w[4], w[0] * k, w[1] * k, w[2] * k, w[3] * k) for w in page.get_text("words")]
    assert "25 mm/s" in text and "10 mm/mV" in text
    assert "SYNTHETIC" in text
    for lead in LEADS:
        bx0, by0, bx1, by1 = box_of(record, lead)
        assert any(
            w == lead and bx0 <= x0 and x1 <= bx1 and by0 <= y0 and y1 <= by1
            for w, x0, y0, x1, y1 in words
        ), lead


def test_grid_colours_are_exact_so_the_published_grid_removal_works(
    siriraj: Page,
) -> None:
    x0, y0, x1, y1 = PROFILES["siriraj-grid"].crop
    region = siriraj.image[y0:y1, x0:x1]
    for colour in (SIRIRAJ_GRID.grid.fine, SIRIRAJ_GRID.grid.bold):
        assert (region == colour).all(axis=2).mean() > 0.02
    cleaned = remove_grid_colours(region)
    printed_before = (region.min(axis=2) < 250).mean()
    printed_after = (cleaned.min(axis=2) < 250).mean()
    assert printed_after < 0.25 * printed_before
    np.testing.assert_array_equal(dark(cleaned), dark(region))


def test_pdf_is_byte_identical_for_a_seed() -> None:
    first = make_record((5, 1), "mixed", "pdf")
    again = make_record((5, 1), "mixed", "pdf")
    other = make_record((5, 2), "mixed", "pdf")
    assert first.data == again.data
    assert first.data.startswith(b"%PDF")
    assert other.data != first.data


def test_mixed_jitters_layouts_within_the_page() -> None:
    records = [make_record((8, i), "mixed", "pdf") for i in range(16)]
    names = {r.layout.name for r in records}
    assert len(names) >= 4 and names <= set(LAYOUT_NAMES)
    for r in records:
        if r.layout.name == SIRIRAJ_GRID.name:
            assert r.layout == SIRIRAJ_GRID  # a fixed hospital format stays exact
            continue
        assert r.layout != LAYOUTS[r.layout.name]
        assert 25.0 <= r.layout.row_pitch_mm <= 45.0
        assert r.layout.fits_page()
        width_px, height_px = r.size_px
        for panel in r.panels:
            x0, y0, x1, y1 = panel["box"]
            assert 0 <= x0 < x1 <= width_px and 0 <= y0 < y1 <= height_px
