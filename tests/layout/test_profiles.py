"""The Siriraj profiles reproduce the published preprocessing pixel for pixel, on Siriraj pages.

A fixed profile must prove the page's geometry first (layout/profile_check.py): every real
sample (none is from the Siriraj printer) and every other synthetic printer is refused with
`profile_mismatch`, and synthetic Siriraj printouts are accepted unchanged. The reference below
is written from the published method (docs/domain.md §2), the plain way (whole page, int16
differences, explicit lead order), and deliberately shares no code with the implementation.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image
from tests_paths import SAMPLES

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import IngestLimits, open_document
from mtecg.layout import find_layout
from mtecg.synth.dataset import make_record
from mtecg.synth.scan import Scan

PAGE_W, PAGE_H = 3508, 2480  # A4 landscape at 300 dpi
GRID_COLOURS = [(216, 111, 98), (250, 200, 168), (168, 0, 0)]


def reference_new_format(page: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    crop = page[950:2000, 82:3000].astype(np.int16)
    out = crop.copy()
    for colour in GRID_COLOURS:
        close = np.all(np.abs(crop - np.array(colour, dtype=np.int16)) <= 3, axis=2)
        out[close] = 255
    out8 = out.astype(np.uint8)
    cols, rows = [0, 740, 1478, 2217], [0, 350, 700]
    panel = {}
    names = [
        ["I", "II", "III"],
        ["aVR", "aVL", "aVF"],
        ["V1", "V2", "V3"],
        ["V4", "V5", "V6"],
    ]
    for ci, x in enumerate(cols):
        for ri, y in enumerate(rows):
            panel[names[ci][ri]] = out8[y : y + 350, x : x + 701]
    left = np.concatenate([panel[n] for n in ["I", "II", "III", "aVR", "aVL", "aVF"]], axis=0)
    right = np.concatenate([panel[n] for n in ["V1", "V2", "V3", "V4", "V5", "V6"]], axis=0)
    return np.concatenate([left, right], axis=1)


# Random pixels do not compress: the test page is larger than an upload may be.
_ROOMY = IngestLimits(max_bytes=64 * 2**20)
PROFILE_NAMES = ("siriraj-grid", "siriraj-plain")


def _png(page: npt.NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _refusal(data: bytes, profile: str) -> Rejection:
    with pytest.raises(Rejection) as caught:
        find_layout(open_document(data, _ROOMY), profile)
    return caught.value


@pytest.mark.parametrize(("seed", "fmt"), [(1, "pdf"), (2, "pdf"), (3, "png"), (4, "png")])
def test_siriraj_grid_printouts_are_accepted_pixel_identical_to_the_published_pipeline(
    seed: int, fmt: str
) -> None:
    data = make_record(seed, "siriraj-grid", fmt, Scan(dpi=300)).data
    source = open_document(data, _ROOMY)
    result = find_layout(source, "siriraj-grid")
    # The profile renders only its crop; a PDF rasterised whole anti-aliases a little
    # differently, so the reference gets the same crop's pixels placed on a page.
    page = np.full((PAGE_H, PAGE_W, 3), 255, dtype=np.uint8)
    page[950:2000, 82:3000] = source.render(1.0, (82, 950, 3000, 2000))
    expected = reference_new_format(page)
    assert result.canonical.shape == (2100, 1402, 3)
    assert np.array_equal(result.canonical, expected)
    assert result.profile == "siriraj-grid"
    assert [p.lead for p in result.panels][:3] == ["I", "II", "III"]
    assert dict((p.lead, p.box) for p in result.panels)["I"] == (82, 950, 783, 1300)


def _sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES.glob("*/*") if p.suffix in (".pdf", ".png", ".jpg"))


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.name)
def test_no_real_sample_is_accepted_by_a_siriraj_profile(path: Path, profile: str) -> None:
    """None of the real samples comes from the Siriraj printer: every one must be refused."""
    try:
        source = open_document(path.read_bytes(), _ROOMY)
    except Rejection:
        return  # refused at ingest (too many pages): no profile is ever applied
    with pytest.raises(Rejection) as caught:
        find_layout(source, profile)
    assert caught.value.code is RejectCode.PROFILE_MISMATCH
    assert caught.value.reason.startswith("profile_")
    assert "auto" in caught.value.message


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("layout", ["a4-3x4-0r", "a4-3x4-3r", "a4-green-2r-5mm", "a4-coarse-1r"])
def test_other_a4_printers_are_refused_even_without_a_text_layer(layout: str, profile: str) -> None:
    """A 300-dpi A4 scan has the profile's page size; its rows, columns or grid give it away."""
    refusal = _refusal(make_record(5, layout, "png", Scan(dpi=300)).data, profile)
    assert refusal.code is RejectCode.PROFILE_MISMATCH
    assert refusal.reason in {"profile_rows", "profile_columns", "profile_grid_left"}


def test_a_siriraj_page_on_other_grid_paper_is_refused_for_the_grid_left_over() -> None:
    page = np.asarray(
        Image.open(io.BytesIO(make_record(6, "siriraj-grid", "png", Scan(dpi=300)).data))
    ).copy()
    for colour in GRID_COLOURS:
        page[np.all(page == colour, axis=2)] = (240, 130, 160)  # a pink grid instead
    refusal = _refusal(_png(page), "siriraj-grid")
    assert (refusal.code, refusal.reason) == (RejectCode.PROFILE_MISMATCH, "profile_grid_left")


def test_the_siriraj_page_is_not_the_old_plain_format() -> None:
    refusal = _refusal(make_record(7, "siriraj-grid", "pdf").data, "siriraj-plain")
    assert refusal.code is RejectCode.PROFILE_MISMATCH


def test_random_pixels_are_refused_by_both_profiles() -> None:
    rng = np.random.default_rng(0)
    page = rng.integers(0, 256, size=(PAGE_H, PAGE_W, 3), dtype=np.uint8)
    for profile in PROFILE_NAMES:
        assert _refusal(_png(page), profile).code is RejectCode.PROFILE_MISMATCH


def test_a_profile_refuses_a_page_too_small_for_its_crop() -> None:
    page = np.full((1000, 1400, 3), 255, dtype=np.uint8)
    refusal = _refusal(_png(page), "siriraj-grid")
    assert (refusal.code, refusal.reason) == (RejectCode.PROFILE_MISMATCH, "profile_page_size")
