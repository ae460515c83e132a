"""Synthetic strip printouts: pages, printed labels, stated settings and the true panels."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pymupdf
import pytest

from mtecg.geometry import LEADS
from mtecg.synth.dataset import LAYOUT_NAMES, make_record, write_dataset
from mtecg.synth.layouts import STRIP_LAYOUT_NAMES, strip_layout


def test_strip_layouts_are_offered_by_name() -> None:
    assert {"6x2", "12x1", "6x1-2page", "6x1-2page-50mms", "6x2-20mm"} <= set(STRIP_LAYOUT_NAMES)
    assert set(STRIP_LAYOUT_NAMES) <= set(LAYOUT_NAMES)


@pytest.mark.parametrize(
    ("name", "pages", "speed", "gain"),
    [("6x2", 1, 25, 10), ("12x1-50mms-5mm", 1, 50, 5), ("6x1-2page-20mm", 3, 25, 20)],
)
def test_a_strip_record_prints_its_leads_where_its_panels_say(
    name: str, pages: int, speed: float, gain: float
) -> None:
    record = make_record(2, name, "pdf")
    doc = pymupdf.open(stream=record.data)
    assert doc.page_count == pages
    assert f"{speed:g} mm/s" in doc[pages - 1].get_text() and f"{gain:g} mm/mV" in doc[0].get_text()
    assert [p["lead"] for p in record.panels] == list(LEADS)
    zoom = 300 / 72
    for panel in record.panels:
        page = doc[int(panel["page"]) - 1]  # type: ignore[call-overload]
        label = next(w for w in page.get_text("words") if w[4] == panel["lead"])
        _, y0, _, y1 = panel["box"]  # type: ignore[misc]
        # The label stands on its strip's row: within the panel's height.
        assert y0 <= (label[1] + label[3]) / 2 * zoom <= y1
    # Only the 25 mm/s layouts show each lead's 3 x 4 window.
    assert all(p["exact"] for p in record.panels) == (speed == 25)


def test_the_six_by_one_record_opens_with_a_report_page() -> None:
    doc = pymupdf.open(stream=make_record(2, "6x1-2page", "pdf").data)
    assert not doc[0].get_drawings() and doc[1].get_drawings() and doc[2].get_drawings()
    assert strip_layout("6x1-2page").pages == 3


def test_two_page_strip_layouts_are_pdf_only_one_page_ones_also_scans() -> None:
    with pytest.raises(ValueError, match="PDF only"):
        make_record(2, "6x1-2page", "png")
    scan = make_record(2, "6x2", "png")
    assert scan.data.startswith(b"\x89PNG") and scan.strips is not None


def test_a_strip_data_set_lists_its_panels_with_pages(tmp_path: Path) -> None:
    path = write_dataset(2, 5, tmp_path, layout="6x1-2page-50mms")
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["layout"] for r in rows] == ["6x1-2page-50mms"] * 2
    panels = json.loads(rows[0]["panels"])
    assert {p["page"] for p in panels} == {2, 3}
    assert not any(p["exact"] for p in panels if p["lead"].startswith("V"))
