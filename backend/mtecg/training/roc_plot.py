"""ROC curves as a PNG, drawn with Pillow (no plotting stack needed on a hospital server)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mtecg.training.metrics import FloatArray

_SIZE = 640
_MARGIN = 70
_COLOURS = ((200, 40, 40), (30, 90, 200), (20, 140, 60), (150, 60, 160))


@dataclass(frozen=True)
class Curve:
    """One ROC curve and how to label it."""

    label: str
    fpr: FloatArray
    tpr: FloatArray


def _to_px(fpr: FloatArray, tpr: FloatArray) -> list[tuple[float, float]]:
    span = _SIZE - 2 * _MARGIN
    xs = _MARGIN + np.asarray(fpr) * span
    ys = _SIZE - _MARGIN - np.asarray(tpr) * span
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def draw_roc(curves: Sequence[Curve], title: str, path: Path) -> None:
    """Writes the curves on unit axes with the chance diagonal and a legend."""
    image = Image.new("RGB", (_SIZE, _SIZE), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    low, high = _MARGIN, _SIZE - _MARGIN
    draw.rectangle((low, low, high, high), outline="black")
    for tick in np.linspace(0, 1, 6):
        x, y = _to_px(np.array([tick]), np.array([tick]))[0]
        draw.line((x, high, x, high + 5), fill="black")
        draw.line((low - 5, y, low, y), fill="black")
        draw.text((x - 8, high + 8), f"{tick:.1f}", fill="black", font=font)
        draw.text((low - 32, y - 6), f"{tick:.1f}", fill="black", font=font)
    draw.line((low, high, high, low), fill=(160, 160, 160))
    draw.text((_SIZE / 2 - 60, _SIZE - 30), "1 - specificity", fill="black", font=font)
    draw.text((10, 20), "sensitivity", fill="black", font=font)
    draw.text((low, 30), title, fill="black", font=font)
    for i, curve in enumerate(curves):
        colour = _COLOURS[i % len(_COLOURS)]
        draw.line(_to_px(curve.fpr, curve.tpr), fill=colour, width=3)
        draw.text((high - 220, high - 25 - 16 * i), curve.label, fill=colour, font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
