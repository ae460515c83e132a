"""Finding the rows of ECG trace on a straightened page.

A trace row spends most of its time on its baseline, so the count of trace pixels per image
row peaks sharply at each baseline. A peak is kept as a trace row only if, around it, ink runs
nearly unbroken for a long stretch and rises into complexes (QRS) at several places: that
rules out frame lines, rules and stray marks (long lines of text are ruled out later, as no
text runs unbroken for 10 s of paper).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

BoolMap = npt.NDArray[np.bool_]

MIN_ROW_MM = 100.0  # a trace row is at least 2.5 s x 4 of a 3x4 block, or a 5 s strip
ROW_BAND_MM = 9.0  # half-height of the band searched around a baseline
_MAX_GAP_MM = 4.0  # gaps a row may have (lead changes, markers)
_TALL_MM = 2.0  # ink spanning this height in one column: a complex, not a flat line
_MIN_TALL = 3  # complexes a real trace row shows at least
_MAX_TALL_PER_100MM = 25  # more is letters of a line of text (a 200 bpm ECG has 8)


@dataclass(frozen=True)
class TraceRow:
    """One row of trace: baseline y and horizontal extent, in pixels.

    `start` is where the signal begins: `left` moved past a calibration pulse when the row
    opens with one.
    """

    baseline: float
    left: int
    right: int
    start: int
    tall_columns: int


def remove_straight_lines(trace: BoolMap, px_per_mm: float, horizontal_mm: float = 25.0) -> BoolMap:
    """Drops long straight horizontal or vertical strokes (frames, rules, markers).

    Horizontal strokes count from `horizontal_mm`: a slow or low-gain trace has flat stretches
    longer than 25 mm, so a caller that must keep them raises it past any trace row's length.
    """
    length = max(3, round(25 * px_per_mm))
    mask = trace.astype(np.uint8)
    long = max(3, round(horizontal_mm * px_per_mm))
    horizontal = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, long), np.uint8))
    vertical = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))
    lines = np.asarray(horizontal, dtype=bool) | np.asarray(vertical, dtype=bool)
    kept: BoolMap = np.asarray(mask, dtype=bool) & ~lines
    return kept


def _longest_run(occupied: npt.NDArray[np.bool_], max_gap: int) -> tuple[int, int]:
    xs = np.flatnonzero(occupied)
    if len(xs) == 0:
        return (0, -1)
    breaks = np.flatnonzero(np.diff(xs) > max_gap + 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(xs) - 1]))
    lengths = xs[ends] - xs[starts]
    k = int(np.argmax(lengths))
    return int(xs[starts[k]]), int(xs[ends[k]])


def find_rows(
    trace: BoolMap, px_per_mm: float, min_tall: int = _MIN_TALL, text_filter: bool = True
) -> list[TraceRow]:
    """Returns the trace rows of a straightened page, top to bottom.

    `min_tall` complexes make a row, and as many as a line of text has unmake it; a caller
    that knows a row is there (a printed lead label names it) may accept a flat one (a
    low-voltage aVL) or a busy one (a 20 mm/mV chest lead).
    """
    # Here, not at the top: scipy.signal costs seconds of CPU to import, and the server imports
    # this package for its result types only; the sandbox worker template imports SciPy before
    # forking (`mtecg.ingest.worker.load_libraries`).
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    max_tall = _MAX_TALL_PER_100MM if text_filter else np.inf
    h = trace.shape[0]
    profile = gaussian_filter1d(trace.sum(axis=1).astype(np.float64), 0.5 * px_per_mm)
    if profile.max() <= 0:
        return []
    peaks, _ = find_peaks(
        profile, distance=max(1, round(10 * px_per_mm)), prominence=0.12 * profile.max()
    )
    band = round(ROW_BAND_MM * px_per_mm)
    tall = _TALL_MM * px_per_mm
    rows: list[TraceRow] = []
    for y in peaks:
        y0, y1 = max(0, y - band), min(h, y + band + 1)
        strip = trace[y0:y1]
        occupied = np.asarray(strip.any(axis=0), dtype=bool)
        left, right = _longest_run(occupied, round(_MAX_GAP_MM * px_per_mm))
        if right - left < MIN_ROW_MM * px_per_mm:
            continue
        top = np.where(occupied, strip.argmax(axis=0), 0)
        bottom = np.where(occupied, strip.shape[0] - 1 - strip[::-1].argmax(axis=0), 0)
        tall_columns = _count_events((bottom - top)[left : right + 1] >= tall)
        if not min_tall <= tall_columns <= max_tall * (right - left) / (100 * px_per_mm):
            continue
        height = (y - y0) - top[left : right + 1]
        start = left + _pulse_width(height, px_per_mm)
        rows.append(TraceRow(_subpixel_peak(profile, int(y)), left, right, start, tall_columns))
    return rows


def _pulse_width(height: npt.NDArray[np.int64], px_per_mm: float) -> int:
    """Width of the calibration pulse opening a row (0 when there is none).

    A pulse is a flat-topped step (1 mV: 5-20 mm high, 0.2 s: 5 mm wide) starting at the
    row's left end. When it is taller than the search band its top falls outside the band and
    only its falling edge stays attached to the row: a full-height stroke that drops back to
    the baseline within a millimetre.
    """
    n = len(height)
    if n == 0:
        return 0
    full = height.max(initial=0)
    raised = height >= 3 * px_per_mm
    first = int(np.argmax(raised)) if raised.any() else n
    if first > 2 * px_per_mm:
        return 0
    level = height[first]
    flat = np.abs(height[first:] - level) <= max(1.0, 0.5 * px_per_mm)
    run = len(flat) if flat.all() else int(np.argmin(flat))
    if 3 * px_per_mm <= run <= 7 * px_per_mm:
        end = first + run
    elif run <= px_per_mm and level >= 0.9 * full:
        end = first + run  # only the falling edge of a tall pulse is in the band
    else:
        return 0
    back = np.flatnonzero(height[end:] < 1.5 * px_per_mm)
    return int(end + (back[0] if len(back) else 0))


def _subpixel_peak(profile: npt.NDArray[np.float64], i: int) -> float:
    """Peak position refined by a parabola through the peak and its neighbours."""
    if i <= 0 or i + 1 >= len(profile):
        return float(i)
    a, b, c = profile[i - 1], profile[i], profile[i + 1]
    denom = a - 2 * b + c
    return float(i + (0.5 * (a - c) / denom if denom < 0 else 0.0))


def _count_events(flags: npt.NDArray[np.bool_]) -> int:
    """Number of separate runs of True (one per complex, however wide)."""
    if len(flags) == 0:
        return 0
    rises = np.flatnonzero(np.diff(flags.astype(np.int8)) == 1)
    return len(rises) + int(flags[0])
