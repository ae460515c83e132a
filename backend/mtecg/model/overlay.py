"""Heatmap overlays on the canonical ECG image, for people to read.

A clinician must still see the trace under the colour and know which lead a hot area belongs
to, so the overlay
- tints multiplicatively: dark ink stays dark whatever the colour, white paper takes the colour;
- weights the tint by heat, with everything below `floor` left untouched, so cold areas look
  like the plain printout rather than a blue wash (jet's low end);
- labels every panel with its lead name in a white box (Pillow's bundled font, no downloads).
Everything is deterministic: the same image and map give the same PNG files, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from mtecg.geometry import CANONICAL_COLUMNS, PANEL_H_PX, PANEL_W_PX
from mtecg.imageio import write_png_atomically
from mtecg.layout.result import RGBImage
from mtecg.model.explain import HeatMap, to_canonical

FLOOR: Final = 0.2  # heat at or below this leaves the image as it is
MAX_ALPHA: Final = 0.75  # tint strength at heat 1.0; below 1 so the paper never turns solid
LABEL_PX: Final = 28
LABEL_MARGIN_PX: Final = 6


def colourise(heatmap: HeatMap) -> RGBImage:
    """The jet colour of each heat value, RGB uint8."""
    levels = np.round(np.clip(heatmap, 0.0, 1.0) * 255.0).astype(np.uint8)
    bgr = cv2.applyColorMap(levels, cv2.COLORMAP_JET)
    return np.ascontiguousarray(bgr[:, :, ::-1])


def blend(canonical: RGBImage, heatmap: HeatMap) -> RGBImage:
    """The canonical image tinted by `heatmap` (any size: stretched onto the image first)."""
    height, width = canonical.shape[:2]
    if heatmap.shape != (height, width):
        heatmap = to_canonical(heatmap, width, height)
    alpha = MAX_ALPHA * np.clip((heatmap - FLOOR) / (1.0 - FLOOR), 0.0, 1.0)
    tint = colourise(heatmap).astype(np.float32) / 255.0
    factor: npt.NDArray[np.float32] = (1.0 - alpha)[:, :, None] + alpha[:, :, None] * tint
    out = canonical.astype(np.float32) * factor
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def label_leads(image: Image.Image) -> None:
    """Writes each lead's name in the top-left corner of its panel, black on white."""
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=LABEL_PX)
    for col, leads in enumerate(CANONICAL_COLUMNS):
        for row, lead in enumerate(leads):
            x = col * PANEL_W_PX + LABEL_MARGIN_PX
            y = row * PANEL_H_PX + LABEL_MARGIN_PX
            left, top, right, bottom = draw.textbbox((x, y), lead, font=font)
            pad = LABEL_MARGIN_PX // 2
            draw.rectangle(
                (left - pad, top - pad, right + pad, bottom + pad),
                fill=(255, 255, 255),
                outline=(0, 0, 0),
            )
            draw.text((x, y), lead, fill=(0, 0, 0), font=font)


def render_overlay(canonical: RGBImage, heatmap: HeatMap) -> Image.Image:
    """The labelled overlay as an RGB image the size of `canonical` (1402 x 2100)."""
    if canonical.ndim != 3 or canonical.shape[2] != 3 or canonical.dtype != np.uint8:
        raise ValueError("the canonical image must be RGB uint8 [H, W, 3]")
    image = Image.fromarray(blend(canonical, heatmap))
    label_leads(image)
    return image


def write_explanation_images(
    folder: Path, canonical: RGBImage, heatmaps: Mapping[str, HeatMap]
) -> dict[str, Path]:
    """Writes canonical.png and one `<task>.png` overlay per heatmap, each atomically.

    How `mtecg predict --explain` and `mtecg batch` write a screening's images; the service
    stores the maps instead and renders the same overlay on request (`mtecg.api.storage`).
    """
    paths = {"canonical": folder / "canonical.png"}
    write_png_atomically(canonical, paths["canonical"])
    for task, heatmap in heatmaps.items():
        paths[task] = folder / f"{task}.png"
        write_png_atomically(np.asarray(render_overlay(canonical, heatmap)), paths[task])
    return paths
