"""Overlay images: canonical size, coloured where the map is hot, readable, reproducible."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX, PANEL_H_PX, PANEL_W_PX
from mtecg.model.overlay import overlay_png, render_overlay


def page() -> np.ndarray:
    """White canonical page with a black horizontal trace through every panel row."""
    image = np.full((CANONICAL_H_PX, CANONICAL_W_PX, 3), 255, np.uint8)
    for row in range(6):
        y = row * PANEL_H_PX + PANEL_H_PX // 2
        image[y - 2 : y + 3, :] = 0
    return image


def hot_map() -> np.ndarray:
    """Model-resolution map, hot on the panel at row 3, right column (lead V4)."""
    heat = np.zeros((384, 384), np.float32)
    heat[3 * 64 : 4 * 64, 192:] = 1.0
    return heat


def test_overlay_png_is_canonical_size_and_coloured_only_where_hot() -> None:
    canonical = page()
    data = overlay_png(canonical, hot_map())
    assert data.startswith(b"\x89PNG")
    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert image.shape == (CANONICAL_H_PX, CANONICAL_W_PX, 3)

    hot = (slice(3 * PANEL_H_PX + 60, 4 * PANEL_H_PX - 20), slice(PANEL_W_PX + 80, None))
    assert np.abs(image[hot].astype(int) - canonical[hot]).mean() > 50
    cold = (slice(60, 2 * PANEL_H_PX), slice(120, PANEL_W_PX))
    np.testing.assert_array_equal(image[cold], canonical[cold])
    # The trace stays dark under the colour.
    trace_y = 3 * PANEL_H_PX + PANEL_H_PX // 2
    assert image[trace_y, PANEL_W_PX + 300].max() < 10


def test_overlay_labels_every_panel_and_is_deterministic() -> None:
    canonical = page()
    heat = np.zeros((384, 384), np.float32)
    image = np.asarray(render_overlay(canonical, heat))
    for row in range(6):
        for col in range(2):
            corner = image[row * PANEL_H_PX : row * PANEL_H_PX + 40, col * PANEL_W_PX :][:, :80]
            assert (corner < 50).any(), f"no label ink in panel row {row} column {col}"
    assert overlay_png(canonical, hot_map()) == overlay_png(canonical, hot_map())
