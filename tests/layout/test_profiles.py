"""The Siriraj profiles reproduce the published preprocessing pixel for pixel.

The reference below is written straight from docs/domain.md §2, the plain way (whole page, int16
differences, explicit lead order), and deliberately shares no code with the implementation.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import IngestLimits, open_document
from mtecg.layout import find_layout

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


def _page_with_grid_colours(seed: int) -> npt.NDArray[np.uint8]:
    """A page of random pixels, a third of them on or near (+-4) the grid colours."""
    rng = np.random.default_rng(seed)
    page = rng.integers(0, 256, size=(PAGE_H, PAGE_W, 3), dtype=np.uint8)
    pick = rng.random((PAGE_H, PAGE_W)) < 0.35
    colours = np.array(GRID_COLOURS, dtype=np.int16)[rng.integers(0, 3, size=int(pick.sum()))]
    jitter = rng.integers(-4, 5, size=colours.shape)
    page[pick] = np.clip(colours + jitter, 0, 255).astype(np.uint8)
    return page


# Random pixels do not compress: the test page is larger than an upload may be.
_ROOMY = IngestLimits(max_bytes=64 * 2**20)


def _png(page: npt.NDArray[np.uint8]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@pytest.mark.parametrize("seed", [0, 1])
def test_siriraj_grid_is_pixel_identical_to_the_published_pipeline(seed: int) -> None:
    page = _page_with_grid_colours(seed)
    result = find_layout(open_document(_png(page), _ROOMY), "siriraj-grid")
    expected = reference_new_format(page)
    assert result.canonical.shape == (2100, 1402, 3)
    assert np.array_equal(result.canonical, expected)
    assert result.profile == "siriraj-grid"
    assert [p.lead for p in result.panels][:3] == ["I", "II", "III"]
    assert dict((p.lead, p.box) for p in result.panels)["I"] == (82, 950, 783, 1300)


def test_siriraj_plain_is_the_published_crop() -> None:
    page = _page_with_grid_colours(2)
    result = find_layout(open_document(_png(page), _ROOMY), "siriraj-plain")
    assert np.array_equal(result.canonical, page[280:1600, 180:3000])
    assert len(result.panels) == 12


def test_a_profile_refuses_a_page_too_small_for_its_crop() -> None:
    page = np.full((1000, 1400, 3), 255, dtype=np.uint8)
    with pytest.raises(Rejection) as caught:
        find_layout(open_document(_png(page), _ROOMY), "siriraj-grid")
    assert caught.value.code is RejectCode.UNSUPPORTED_LAYOUT
