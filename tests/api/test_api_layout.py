"""The layout section of a screening: what the layout stage found is what the API stores and
answers (the layout name, time windows, paper speed, gain, pages, and for a straightened
photo what was corrected), on SQLite and PostgreSQL, and the PDF report flags approximate
time windows as the web app does.

Expected values are read from the pipeline itself (`preprocess`) on the same bytes, except
for the plain 3 x 4 printout, whose facts are those of every such page.
"""

from __future__ import annotations

import io
import unicodedata
import uuid
from typing import Any

import numpy as np
import pymupdf
import pytest
from PIL import Image
from support.api_client import Running, bearer

from mtecg.api.layout_record import RECTIFICATION_FIELDS
from mtecg.api.report_text import TH
from mtecg.db.models import Screening
from mtecg.preprocess import preprocess
from mtecg.synth.dataset import make_record
from mtecg.synth.photo import Photo, photograph
from mtecg.synth.scan import Scan

STRIP_FACTS = ("layout_name", "time_windows", "paper_speed_mm_s", "gain_mm_mv", "pages")


@pytest.fixture(scope="module")
def key(running: Running) -> str:
    return running.user("layout-reader")


def _screen(running: Running, key: str, data: bytes) -> dict[str, Any]:
    """Uploads; returns the layout as answered, as read back, and as stored in the row."""
    response = running.upload(key, data)
    assert response.status_code == 201, response.text
    created = response.json()
    read = running.client.get(f"/api/v1/screenings/{created['id']}", headers=bearer(key))
    assert read.status_code == 200, read.text
    with running.service.sessions() as db:
        row = db.get(Screening, uuid.UUID(created["id"]))
        assert row is not None
        stored = row.layout
    assert read.json()["layout"] == created["layout"]
    return {"id": created["id"], "answered": created["layout"], "stored": stored}


@pytest.fixture(scope="module")
def strip_pdf() -> bytes:
    """A 6 x 2 printout at 50 mm/s: the strips show 5 s, so some windows are approximate."""
    return make_record(7, "6x2-50mms", "pdf").data


@pytest.fixture(scope="module")
def strip_layout(running: Running, key: str, strip_pdf: bytes) -> dict[str, Any]:
    return _screen(running, key, strip_pdf)


@pytest.mark.parametrize("where", ["answered", "stored"])
def test_a_strip_printout_keeps_what_the_layout_stage_found(
    strip_layout: dict[str, Any], strip_pdf: bytes, where: str
) -> None:
    found = preprocess(strip_pdf).summary()
    layout = strip_layout[where]
    assert {name: layout[name] for name in STRIP_FACTS} == {
        name: found[name] for name in STRIP_FACTS
    }
    # the strip reader proves every lead from the PDF's printed labels
    assert layout["labels_checked"] is found["labels_checked"] is True
    assert layout["rectification"] is None


def test_a_50_mm_s_strip_printout_is_flagged_approximate(strip_layout: dict[str, Any]) -> None:
    # What the pipeline says of this page (read above) is also what the domain expects of it.
    layout = strip_layout["answered"]
    assert (layout["layout_name"], layout["paper_speed_mm_s"]) == ("6x2", 50)
    assert layout["time_windows"] == "approximate"


def test_a_3x4_printout_is_exact_at_25_mm_s_and_10_mm_mv(
    running: Running, key: str, ecg_pdf: bytes
) -> None:
    layout = _screen(running, key, ecg_pdf)["answered"]
    facts = {name: layout[name] for name in STRIP_FACTS}
    assert facts == {
        "layout_name": "3x4",
        "time_windows": "exact",
        "paper_speed_mm_s": 25,
        "gain_mm_mv": 10,
        "pages": [1],
    }
    assert layout["rectification"] is None


def test_a_straightened_photo_keeps_what_was_corrected(running: Running, key: str) -> None:
    record = make_record(3, "siriraj-grid", "png", scan=Scan(dpi=200))
    page = np.asarray(Image.open(io.BytesIO(record.data)).convert("RGB"))
    image, _ = photograph(page, Photo(15.0, 0.0, 3.0, shadow=0.2, jpeg_quality=85))
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=90)
    found = preprocess(buffer.getvalue()).summary()["rectification"]
    assert found is not None  # the photo was straightened: the case under test

    screened = _screen(running, key, buffer.getvalue())
    expected = {name: found[name] for name in RECTIFICATION_FIELDS}
    assert screened["answered"]["rectification"] == expected
    assert screened["stored"]["rectification"] == expected  # the homography is not kept
    assert screened["answered"]["kind"] == "image"


def _words(text: str) -> str:
    """Text as a PDF's text layer gives it back (NFKC, any run of white space one space)."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_the_pdf_report_carries_the_approximate_note(
    running: Running, key: str, strip_layout: dict[str, Any]
) -> None:
    url = f"/api/v1/screenings/{strip_layout['id']}/report.pdf"
    response = running.client.get(url, headers=bearer(key))
    assert response.status_code == 200
    text = pymupdf.open(stream=response.content, filetype="pdf")[0].get_text()
    assert _words(TH["result.layout.approximate"]) in _words(text)
