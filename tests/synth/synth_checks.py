"""Independent measurements on synthetic records, shared by the synth tests.

They look at the output the way a reader would (rendered pixels, the signal samples) and use
only a record's published truth (its panel boxes, px/mm, gain), never the renderer's internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt
import pymupdf
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from mtecg.geometry import COLUMNS_3X4, LEADS, PAPER_SPEED_MM_S, SEGMENT_S
from mtecg.synth.dataset import SynthRecord
from mtecg.synth.signals import FS_HZ

Image = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]


def render(data: bytes, dpi: int = 300) -> tuple[Image, list[tuple[float, float, float, float]]]:
    """A PDF page as RGB pixels at `dpi`, and the pixel rectangles of its words."""
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        page = doc[0]
        pix = page.get_pixmap(dpi=dpi, alpha=False)
        image = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, 3).copy()
        k = dpi / 72
        words = [(w[0] * k, w[1] * k, w[2] * k, w[3] * k) for w in page.get_text("words")]
    return image, words


def decode_png(data: bytes) -> Image:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def dark(image: Image, threshold: int = 128) -> Mask:
    """Trace ink: dark in every channel (grid lines of any colour are bright in one)."""
    return np.asarray(image.max(axis=2) < threshold)


def unrotate(image: Image, angle_deg: float) -> Image:
    """Turns a scan back by its recorded angle about the image centre (same canvas)."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -angle_deg, 1.0)
    return np.asarray(cv2.warpAffine(image, matrix, (w, h), borderValue=(255, 255, 255)))


def box_of(record: SynthRecord, lead: str) -> list[int]:
    return cast(list[int], next(p["box"] for p in record.panels if p["lead"] == lead))


def expected_curve(
    record: SynthRecord, lead: str, box: list[int], signal_lead: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Where the lead's 2.5 s segment should be drawn if `box` is its true panel.

    t = 0 of the segment at the box's left edge, zero mV at the box's vertical centre, 25 mm/s
    and the printout's gain; amplitudes limited to the box, as a clipping printer draws them.
    """
    column = next(c for c, leads in enumerate(COLUMNS_3X4) if lead in leads)
    n = round(SEGMENT_S * FS_HZ)
    samples = record.signals[LEADS.index(signal_lead or lead), column * n : (column + 1) * n]
    ppmm = record.px_per_mm
    xs = box[0] + np.arange(len(samples)) / FS_HZ * PAPER_SPEED_MM_S * ppmm
    half = (box[3] - box[1]) / 2
    ys = (box[1] + box[3]) / 2 - np.clip(samples * record.layout.gain_mm_per_mv * ppmm, -half, half)
    return xs, ys


@dataclass(frozen=True)
class CurveMatch:
    """How well the drawn ink in a box matches an expected curve.

    recall: share of the box's x columns with ink within `tol` of the curve; active_recall: the
    same over columns where the curve is away from its baseline (complexes, not flat line);
    precision: share of the box's ink (words excluded) within `tol` of the curve.
    """

    recall: float
    active_recall: float
    precision: float


def match_curve(
    ink: Mask,
    xs: np.ndarray,
    ys: np.ndarray,
    box: list[int],
    tol: float,
    words: Sequence[tuple[float, float, float, float]] = (),
) -> CurveMatch:
    x0, y0, x1, y1 = box
    cols = np.arange(x0 + 3, min(x1 - 3, round(xs[-1])))
    ycurve = np.interp(cols, xs, ys)
    baseline = (y0 + y1) / 2
    pad = round(tol)
    hits = np.array(
        [
            ink[max(0, round(y) - pad) : round(y) + pad + 1, max(0, x - 1) : x + 2].any()
            for x, y in zip(cols, ycurve, strict=True)
        ]
    )
    active = np.abs(ycurve - baseline) > 0.15 * (y1 - y0) / 2
    region = ink[y0:y1, x0:x1].copy()
    for wx0, wy0, wx1, wy1 in words:
        region[
            max(0, int(wy0) - y0 - 2) : max(0, int(wy1) - y0 + 3),
            max(0, int(wx0) - x0 - 2) : max(0, int(wx1) - x0 + 3),
        ] = False
    near = np.zeros(region.shape, np.uint8)
    points = np.column_stack([xs - x0, ys - y0]).round().astype(np.int32)
    cv2.polylines(near, [points], False, 1, thickness=2 * pad + 1)
    ink_count = int(region.sum())
    return CurveMatch(
        recall=float(hits.mean()),
        active_recall=float(hits[active].mean()) if active.any() else 1.0,
        precision=float((region & (near > 0)).sum() / ink_count) if ink_count else 0.0,
    )


def qrs_peaks(signals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """QRS times (samples) from the summed slope of all leads, and that slope envelope."""
    smooth = uniform_filter1d(signals, 9, axis=1)
    envelope = uniform_filter1d(np.abs(np.diff(smooth, axis=1)).sum(axis=0) * FS_HZ, 5)
    peaks, _ = find_peaks(envelope, height=0.5 * envelope.max(), distance=round(0.25 * FS_HZ))
    return peaks, envelope


def qrs_width_ms(signals: np.ndarray) -> float:
    """Median QRS duration: the span around each QRS where the slope exceeds 12 % of its peak."""
    peaks, env = qrs_peaks(signals)
    widths = []
    for p in peaks:
        if p < 100 or p > len(env) - 150:
            continue
        lo, hi = p, p
        while lo > p - 100 and env[lo] > 0.12 * env[p]:
            lo -= 1
        while hi < p + 100 and env[hi] > 0.12 * env[p]:
            hi += 1
        widths.append((hi - lo) / FS_HZ * 1000)
    return float(np.median(widths))


def median_beat(signals: np.ndarray, before_s: float = 0.3, after_s: float = 0.5) -> np.ndarray:
    """The median of all complete beats, aligned on their QRS; time 0 at index before_s * fs."""
    peaks, _ = qrs_peaks(signals)
    a, b = round(before_s * FS_HZ), round(after_s * FS_HZ)
    beats = [signals[:, p - a : p + b] for p in peaks if p - a >= 0 and p + b <= signals.shape[1]]
    return np.median(np.stack(beats), axis=0)
