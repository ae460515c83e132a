"""Sideways and upside-down uploads (no EXIF orientation) are turned upright and read with the
same panels as upright, or refused (`orientation_unclear`) when which way up cannot be told."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytesseract
import pytest
from PIL import Image

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import LEADS
from mtecg.ingest import open_document
from mtecg.layout import find_layout
from mtecg.layout.orientation import TurnedPage, find_orientation
from mtecg.layout.result import LayoutResult
from mtecg.synth.dataset import make_record
from mtecg.synth.scan import Scan


def _turned_png(data: bytes, quarter_turns: int) -> bytes:
    """The image's pixels turned counter-clockwise, saved without any orientation tag."""
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(np.rot90(pixels, quarter_turns))).save(buffer, "PNG")
    return buffer.getvalue()


def _same_read(turned: LayoutResult, upright: LayoutResult, quarter_turns: int) -> None:
    """Same leads in the same boxes (the page turned upright is the upright page, pixel for
    pixel), and the turn reported in `rotation_deg` (counter-clockwise as seen)."""
    assert [p.lead for p in turned.panels] == list(LEADS)
    assert [p.box for p in turned.panels] == [p.box for p in upright.panels]
    expected = (upright.rotation_deg + 90 * quarter_turns) % 360
    expected = expected - 360 if expected > 180 else expected
    assert turned.rotation_deg == pytest.approx(expected, abs=0.01)
    assert turned.px_per_mm == pytest.approx(upright.px_per_mm, rel=1e-3)


@pytest.fixture(scope="module")
def scan() -> bytes:
    return make_record(3, "siriraj-grid", "png", scan=Scan(dpi=200)).data


@pytest.mark.parametrize("quarter_turns", [1, 2, 3], ids=["90", "180", "270"])
def test_a_turned_synthetic_scan_is_read_as_upright(scan: bytes, quarter_turns: int) -> None:
    upright = find_layout(open_document(scan))
    turned = find_layout(open_document(_turned_png(scan, quarter_turns)))
    _same_read(turned, upright, quarter_turns)


@pytest.mark.parametrize("quarter_turns", [0, 1, 2, 3])
def test_the_pulses_prove_which_way_up(scan: bytes, quarter_turns: int) -> None:
    page = open_document(scan)
    source = TurnedPage(page, quarter_turns) if quarter_turns else page
    orientation = find_orientation(source)
    assert orientation.proven
    assert orientation.quarter_turns == (4 - quarter_turns) % 4


@pytest.mark.parametrize(
    ("name", "quarter_turns"),
    [
        ("eik_ecg00001.png", 1),  # pulses at the start of the rows
        ("eik_ecg00012.jpg", 2),  # pulses at the end of the rows
        ("tereshchenko_fullScan.png", 2),  # no pulses: the printed labels decide
        ("tereshchenko_fullScan.png", 3),
    ],
)
def test_a_turned_real_sample_is_read_as_upright(
    samples: Path, name: str, quarter_turns: int
) -> None:
    data = (samples / "images" / name).read_bytes()
    upright = find_layout(open_document(data))
    turned = find_layout(open_document(_turned_png(data, quarter_turns)))
    _same_read(turned, upright, quarter_turns)


def test_a_sideways_page_without_pulses_or_legible_labels_is_refused(
    samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The GE page prints no calibration pulses; with no OCR (as where Tesseract is missing)
    # nothing says which way up its sideways picture is: refused, not read either way up.
    def no_tesseract(*_: object, **__: object) -> None:
        raise OSError("tesseract is not installed")

    monkeypatch.setattr(pytesseract, "image_to_data", no_tesseract)
    data = (samples / "images" / "tereshchenko_fullScan.png").read_bytes()
    with pytest.raises(Rejection) as upright:  # upright, its rows are found: it is the layout
        find_layout(open_document(data))  # (3 rhythm strips or 6 x 2?) that OCR had to prove
    assert upright.value.code is RejectCode.UNSUPPORTED_LAYOUT
    with pytest.raises(Rejection) as caught:
        find_layout(open_document(_turned_png(data, 1)))
    assert caught.value.code is RejectCode.UNREADABLE
    assert caught.value.reason == Reason.ORIENTATION_UNCLEAR
