"""Named layouts with fixed geometry: the two Siriraj formats the published model was trained on.

These reproduce the published preprocessing bit for bit (crop, grid-colour removal, 6 x 2
rearrangement) so that an imported published checkpoint sees exactly the pixels it was trained
on. They apply only to pages rendered at 300 dpi with the published printer's geometry, and a page
must prove that it has it (`profile_check`) before its boxes are trusted; anything else goes
through auto-detection.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mtecg.geometry import CANONICAL_PX_PER_MM, COLUMNS_3X4, PANEL_H_PX, PANEL_W_PX
from mtecg.ingest.page import PageSource
from mtecg.layout.canonical import stack_6x2
from mtecg.layout.profile_check import check_grid_removed, verify_geometry
from mtecg.layout.result import Box, LayoutResult, Panel, RGBImage
from mtecg.timing import Stopwatch

# "new format" (2017 onwards): crop box and panel offsets inside it, in 300-dpi page pixels.
_GRID_CROP: Box = (82, 950, 3000, 2000)
_GRID_COLUMN_X = (0, 740, 1478, 2217)
_GRID_ROW_Y = (0, 350, 700)
# Grid colours painted white, each matched within +-3 on every channel.
_GRID_COLOURS = ((216, 111, 98), (250, 200, 168), (168, 0, 0))
_GRID_TOLERANCE = 3
# "old format" (2009-2016): no grid, the crop is the model input as is.
_PLAIN_CROP: Box = (180, 280, 3000, 1600)


@dataclass(frozen=True)
class Profile:
    """A fixed-geometry layout: the page region it needs and how it makes the model image."""

    name: str
    crop: Box

    def panels(self) -> tuple[Panel, ...]:
        return _grid_panels() if self.name == "siriraj-grid" else _plain_panels()


PROFILES: dict[str, Profile] = {
    "siriraj-grid": Profile("siriraj-grid", _GRID_CROP),
    "siriraj-plain": Profile("siriraj-plain", _PLAIN_CROP),
}


def remove_grid_colours(region: RGBImage) -> RGBImage:
    """Paints the published grid colours white (each channel within +-3), as the study did."""
    out = region.copy()
    mask = np.zeros(region.shape[:2], dtype=np.uint8)
    for colour in _GRID_COLOURS:
        lo = np.array([max(c - _GRID_TOLERANCE, 0) for c in colour], dtype=np.uint8)
        hi = np.array([min(c + _GRID_TOLERANCE, 255) for c in colour], dtype=np.uint8)
        mask |= np.asarray(cv2.inRange(region, lo, hi), dtype=np.uint8)
    out[mask > 0] = 255
    return out


def _grid_boxes_in_crop() -> dict[str, Box]:
    boxes: dict[str, Box] = {}
    for leads, x in zip(COLUMNS_3X4, _GRID_COLUMN_X, strict=True):
        for lead, y in zip(leads, _GRID_ROW_Y, strict=True):
            boxes[lead] = (x, y, x + PANEL_W_PX, y + PANEL_H_PX)
    return boxes


def _panel_images(region: RGBImage) -> dict[str, RGBImage]:
    return {lead: region[y0:y1, x0:x1] for lead, (x0, y0, x1, y1) in _grid_boxes_in_crop().items()}


def _grid_panels() -> tuple[Panel, ...]:
    left, top = _GRID_CROP[:2]
    return tuple(
        Panel(lead, (x0 + left, y0 + top, x1 + left, y1 + top))
        for lead, (x0, y0, x1, y1) in _grid_boxes_in_crop().items()
    )


def _plain_panels() -> tuple[Panel, ...]:
    """Nominal 3 x 4 subdivision of the old-format crop: that format has no published panel map."""
    x0, y0, x1, y1 = _PLAIN_CROP
    col_w, row_h = (x1 - x0) / 4, (y1 - y0) / 3
    return tuple(
        Panel(
            lead,
            (
                round(x0 + c * col_w),
                round(y0 + r * row_h),
                round(x0 + (c + 1) * col_w),
                round(y0 + (r + 1) * row_h),
            ),
        )
        for c, leads in enumerate(COLUMNS_3X4)
        for r, lead in enumerate(leads)
    )


def apply_profile(name: str, source: PageSource) -> LayoutResult:
    """Reads a page with the named fixed-geometry profile, rendering only its crop at 300 dpi.

    A PDF page is rasterised at 300 dpi; an image is taken to be that 300-dpi page already.
    The page must first prove that it has the profile's geometry (`profile_check`): fixed
    boxes on another printer's page would hold the wrong leads.
    """
    profile = PROFILES[name]
    clock = Stopwatch()
    with clock.stage("profile_check"):
        boxes = {p.lead: p.box for p in profile.panels()} if name == "siriraj-grid" else None
        verify_geometry(name, source, profile.crop, boxes)
    with clock.stage("canonical"):
        region = source.render(1.0, profile.crop)
        cleaned = remove_grid_colours(region) if name == "siriraj-grid" else region
        check_grid_removed(name, cleaned)
        if name == "siriraj-grid":
            canonical = stack_6x2(_panel_images(cleaned))
        else:
            canonical = np.ascontiguousarray(region)
    return LayoutResult(
        profile=name,
        px_per_mm=CANONICAL_PX_PER_MM,
        rotation_deg=0.0,
        panels=profile.panels(),
        canonical=canonical,
        timings_ms=clock.ms,
    )
