"""Rotation of a scanned page, from the straightness of its grid lines and baselines.

Grid lines and trace baselines are horizontal on the paper; when the projection of everything
printed onto the page's vertical axis is sharpest, the page is straight. The search works on
a sample of printed pixels, so it costs the same for any page size.
"""

from __future__ import annotations

import numpy as np

from mtecg.layout.ink import FloatMap

MAX_ANGLE_DEG = 10.0
_SAMPLE = 120_000


def _sharpness(xs: np.ndarray, ys: np.ndarray, angle_deg: float, bins: int) -> float:
    theta = np.deg2rad(angle_deg)
    yr = ys * np.cos(theta) - xs * np.sin(theta)
    hist = np.bincount(np.clip(yr, 0, bins - 1).astype(np.int64), minlength=bins)
    return float(np.dot(hist, hist))


def estimate_rotation(printed: FloatMap, threshold: float = 0.25) -> float:
    """Returns how far the page is turned, in degrees counter-clockwise as seen, within +-10.

    Rotating the image by minus this angle (`cv2.getRotationMatrix2D(centre, -angle, 1)`)
    straightens it.
    """
    ys, xs = np.nonzero(printed > threshold)
    if len(xs) < 100:
        return 0.0
    if len(xs) > _SAMPLE:
        pick = np.random.default_rng(0).choice(len(xs), _SAMPLE, replace=False)
        xs, ys = xs[pick], ys[pick]
    h, w = printed.shape
    xs = xs.astype(np.float64) - w / 2
    ys = ys.astype(np.float64) - h / 2 + (h + w) / 2
    bins = int(h + w) + 2

    def best(candidates: np.ndarray) -> float:
        scores = [_sharpness(xs, ys, float(a), bins) for a in candidates]
        return float(candidates[int(np.argmax(scores))])

    coarse = best(np.arange(-MAX_ANGLE_DEG, MAX_ANGLE_DEG + 1e-9, 0.5))
    fine = best(np.arange(coarse - 0.5, coarse + 0.5 + 1e-9, 0.05))
    return float(np.clip(-fine, -MAX_ANGLE_DEG, MAX_ANGLE_DEG))
