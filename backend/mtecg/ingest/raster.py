"""The clip and scale arithmetic every page source shares, so PDF and image pages agree.

Coordinates are native pixels (a PDF page at 300 dpi, an image as stored); a render returns
exactly round(clip size x scale) pixels whichever source drew it.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from mtecg.errors import RejectCode, Rejection

Clip = tuple[float, float, float, float]
RGB = NDArray[np.uint8]
#: A word of the text layer: x0, y0, x1, y1 in native pixels, and the text.
Word = tuple[float, float, float, float, str]


def clip_box(clip: Clip | None, width: int, height: int) -> Clip:
    """Validate a clip in native pixels and clamp it to the page; None means the whole page.

    A clip that misses the page, or is not a finite rectangle, is a caller bug, hence ValueError
    rather than a Rejection.
    """
    if clip is None:
        return (0.0, 0.0, float(width), float(height))
    x0, y0, x1, y1 = (float(v) for v in clip)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise ValueError("clip must be finite")
    x0, x1 = max(x0, 0.0), min(x1, float(width))
    y0, y1 = max(y0, 0.0), min(y1, float(height))
    if x1 - x0 < 1.0 or y1 - y0 < 1.0:
        raise ValueError("clip lies outside the page or is smaller than one pixel")
    return (x0, y0, x1, y1)


def output_size(box: Clip, scale: float, max_pixels: int, code: RejectCode) -> tuple[int, int]:
    """(height, width) of `box` rendered at `scale`, refusing outputs above the pixel cap.

    Every page source returns exactly this size, so callers can mix PDF and image pages. The
    cap applies to the output because an enlarged render of a legal page (scale 4 of a 30 MP
    scan) would otherwise allocate gigabytes.
    """
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError("scale must be a positive number")
    x0, y0, x1, y1 = box
    width = max(1, round((x1 - x0) * scale))
    height = max(1, round((y1 - y0) * scale))
    if width * height > max_pixels:
        raise Rejection(code, "The requested rendering of the page is larger than allowed.")
    return height, width


def fit(pixels: RGB, height: int, width: int) -> RGB:
    """A new array: `pixels` cropped or white-padded to exactly height x width.

    Renderers may round the clip outwards by a pixel. The result is always a copy, so it may
    outlive a renderer-owned buffer that `pixels` views.
    """
    out = pixels[:height, :width]
    if out.shape[0] == height and out.shape[1] == width:
        return out.copy()
    padded = np.full((height, width, 3), 255, dtype=np.uint8)
    padded[: out.shape[0], : out.shape[1]] = out
    return padded
