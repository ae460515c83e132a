"""The real samples in ../shared/samples open (or are refused) as a user would expect."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import IngestLimits, open_document

# name -> (kind, page index, width, height) at native resolution (PDF: 300 dpi).
OPENS = {
    "pdf/biomarker_schiller_1282423.pdf": ("pdf", 0, 3508, 2480),
    "pdf/dicomecgplot_anonymous_ecg_3x4_1.pdf": ("pdf", 0, 3507, 2481),
    "images/eik_ecg00001.png": ("png", 0, 3167, 1580),
    "images/eik_ecg00003.png": ("png", 0, 1620, 735),
    "images/eik_ecg00010.png": ("png", 0, 768, 420),
    "images/eik_ecg00012.jpg": ("jpeg", 0, 3776, 1898),
    "images/eik_ecg00021.bmp": ("bmp", 0, 640, 308),
    "images/eik_ecg00028.jpg": ("jpeg", 0, 1200, 659),
    "images/eik_ecg00033.jpg": ("jpeg", 0, 1200, 624),
    "images/eik_ecg00054.png": ("png", 0, 621, 322),
    "images/tereshchenko_fullScan.png": ("png", 0, 2200, 1700),
    "images/tereshchenko_rotatedFullScan.png": ("png", 0, 2194, 1340),
}


def test_every_sample_is_covered(samples: Path) -> None:
    found = {str(p.relative_to(samples)) for p in samples.glob("[pi]*/*") if p.is_file()}
    covered = {*OPENS, "pdf/biomarker_cardiosoft_testmann.pdf"}
    assert found == covered


@pytest.mark.parametrize("name", sorted(OPENS))
def test_sample_opens(samples: Path, name: str) -> None:
    kind, page, width, height = OPENS[name]
    start = time.perf_counter()
    source = open_document((samples / name).read_bytes())
    overview = source.render(0.125)
    elapsed = time.perf_counter() - start
    assert (source.kind, source.page_index, source.width, source.height) == (
        kind,
        page,
        width,
        height,
    )
    assert overview.shape == (round(height / 8), round(width / 8), 3)
    full = source.render()
    assert full.shape == (height, width, 3)
    assert full.min() < 128 < full.max()  # ink on paper
    assert source.native_dpi == (300.0 if kind == "pdf" else None)
    assert elapsed < 5.0


def test_pdf_samples_carry_their_text(samples: Path) -> None:
    text = open_document((samples / "pdf/biomarker_schiller_1282423.pdf").read_bytes()).text()
    assert "mm/s" in text


def test_three_page_cardiosoft_opens_on_its_first_page(samples: Path) -> None:
    data = (samples / "pdf/biomarker_cardiosoft_testmann.pdf").read_bytes()
    with pytest.raises(Rejection) as caught:
        open_document(data, IngestLimits(max_pdf_pages=2))
    assert caught.value.code is RejectCode.TOO_MANY_PAGES
    source = open_document(data)
    # Letter, stored portrait with /Rotate 90: native size is the landscape page as shown.
    assert (source.page_index, source.width, source.height) == (0, 3300, 2550)
    assert "50 mm/s" in source.text() or "50mm/s" in source.text().replace(" ", "")


@pytest.mark.parametrize(
    "name",
    [
        "pdf/biomarker_cardiosoft_testmann.pdf",  # stored portrait with /Rotate 90
        "pdf/biomarker_schiller_1282423.pdf",
        "pdf/dicomecgplot_anonymous_ecg_3x4_1.pdf",
    ],
)
def test_words_and_clips_land_where_the_page_is_drawn(samples: Path, name: str) -> None:
    source = open_document((samples / name).read_bytes())
    full = source.render()
    words = source.words()
    assert len(words) > 20
    for x0, y0, x1, y1, text in words:
        box = full[int(y0) : int(y1) + 1, int(x0) : int(x1) + 1]
        assert box.size and box.min() < 128, text  # every word box holds ink
    clip = (500.0, 700.0, 1500.0, 1400.0)
    crop = source.render(1.0, clip)
    assert np.abs(crop.astype(int) - full[700:1400, 500:1500]).mean() < 1.0
