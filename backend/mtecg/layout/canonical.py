"""Composition of the model's canonical image from twelve lead panels."""

from __future__ import annotations

import numpy as np

from mtecg.geometry import CANONICAL_COLUMNS, PANEL_H_PX, PANEL_W_PX
from mtecg.layout.result import RGBImage


def stack_6x2(panels: dict[str, RGBImage]) -> RGBImage:
    """Stacks 350 x 701 panels into the published 6 x 2 image (limb leads left, chest right)."""
    out = np.full((6 * PANEL_H_PX, 2 * PANEL_W_PX, 3), 255, dtype=np.uint8)
    for col, leads in enumerate(CANONICAL_COLUMNS):
        for row, lead in enumerate(leads):
            tile = panels[lead]
            h, w = tile.shape[:2]
            y, x = row * PANEL_H_PX, col * PANEL_W_PX
            out[y : y + h, x : x + w] = tile
    return out
