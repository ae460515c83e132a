"""Fitting the 3 x 4 block to the trace rows of a page: rows, time zero, lead changes.

Three evenly spaced rows of 10 s (250 mm at 25 mm/s), four 2.5 s columns each, up to three
rhythm strips below; everything measured in pixels of the straightened overview.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import SEGMENT_MM, STRIP_MM
from mtecg.layout.rows import TraceRow

_MIN_LEAD_CHANGES = 3  # of the 9 column boundaries of the block's rows
# Rows of a 3 x 4 block are 25-45 mm apart on most printers; farther means rows missed,
# unless the printed labels (a PDF's text layer) name the rows: letter-size exports spread
# the three rows over the page, up to 70 mm apart.
_MAX_ROW_PITCH_MM = 50.0
_MAX_LABELLED_ROW_PITCH_MM = 75.0
# How far the rows' start may lie before t = 0 (an undetected pulse) or after it (rows
# shorter than 10 s by a scan's slack), in mm, before the page counts as distorted.
_PULSE_ALLOWANCE_MM = 8.0
_SHORTFALL_ALLOWANCE_MM = 3.0


@dataclass(frozen=True)
class BlockFit:
    """Where the 3 x 4 block lies on the overview: time-zero x, row baselines, rhythm rows."""

    x_start: float
    baselines: tuple[float, float, float]
    rhythm_baselines: tuple[float, ...]

    @property
    def rhythm_strips(self) -> int:
        return len(self.rhythm_baselines)


def _boundary_evidence(trace: np.ndarray, row: TraceRow, x: float, ppmm: float) -> bool:
    """Whether a lead change shows at x: a break in the trace, or a marker stroke across it.

    Printers mark the 2.5 s boundaries of a 3 x 4 block with a gap, a tick or a bar; a
    continuous strip crosses them with nothing but its baseline (or, by chance, a QRS).
    """
    band = round(9 * ppmm)
    y0, y1 = max(0, round(row.baseline) - band), round(row.baseline) + band + 1
    half = max(1, round(1.5 * ppmm))
    xi = round(x)
    window = trace[y0:y1, max(0, xi - half) : xi + half + 1]
    if window.size == 0:
        return False
    gap = not window.any(axis=0).all()
    marker = float(window.sum(axis=0).max()) >= 1.8 * ppmm
    return gap or marker


def _time_zero(block: list[TraceRow], width: float, ppmm: float, page_width: int) -> float:
    """x of t = 0 from where the rows' signals start and end (10 s = 250 mm apart).

    The end of the 10 s is the sharper witness: nothing follows it, while the start may carry
    a calibration pulse or its edge (so the start may lie up to a pulse's width early). Rows
    that run into the image border are placed from their start instead. Rows that are
    clearly shorter than 10 s at the grid's scale mean the grid and the traces disagree (a
    photo taken at an angle, a stretched scan), and no panel can be placed reliably.
    """
    from_left = float(np.median([r.start for r in block]))
    right = float(np.median([r.right for r in block]))
    if right >= page_width - 1 - 1.0 * ppmm:
        return from_left
    from_right = right - width
    excess_mm = (from_left - from_right) / ppmm
    if not -_PULSE_ALLOWANCE_MM <= excess_mm <= _SHORTFALL_ALLOWANCE_MM:
        raise Rejection(
            RejectCode.UNREADABLE,
            "the trace rows do not span 10 s at the scale of the grid (a photo taken at an "
            "angle or a stretched scan?). Scan the printout flat, or upload the PDF.",
            Reason.ROWS_NOT_10S,
        )
    return from_right


def fit_block(
    rows: list[TraceRow], trace: np.ndarray, ppmm: float, labels_confirmed: bool
) -> BlockFit:
    """Fits three rows of four 2.5 s columns (plus rhythm strips) to the trace rows."""
    width = STRIP_MM * ppmm
    if not rows:
        raise Rejection(
            RejectCode.NOT_ECG,
            "no ECG trace rows were found: this does not look like a 12-lead ECG printout, or "
            "the picture is too distorted to follow. Upload the PDF or a flat scan.",
            Reason.NO_TRACE_ROWS,
        )
    long_rows = [r for r in rows if r.right - r.left >= 0.8 * width]
    if len(long_rows) < 3:
        spans = np.array([r.right - r.left for r in rows], dtype=np.float64) / ppmm
        six_by_two = 110 <= float(np.median(spans)) <= 140
        if len(rows) >= 3 and six_by_two and spans.max() - spans.min() < 0.1 * spans.max():
            raise Rejection(
                RejectCode.UNSUPPORTED_LAYOUT,
                f"the rows are {np.median(spans):.0f} mm long instead of 250 mm (10 s at "
                "25 mm/s): not a 3 x 4 printout. Upload a standard 3 x 4 printout.",
                Reason.ROWS_WRONG_LENGTH,
            )
        raise Rejection(
            RejectCode.UNREADABLE,
            "ECG traces were found but not three complete 10 s rows. Check that the whole "
            "printout is in the picture, flat and in focus, or upload the PDF.",
            Reason.ROWS_INCOMPLETE,
        )
    if len(long_rows) > 6:
        raise Rejection(
            RejectCode.UNSUPPORTED_LAYOUT,
            f"found {len(long_rows)} trace rows; a 3 x 4 printout has 3 plus at most 3 rhythm "
            "strips (12 x 1 and similar layouts are not supported).",
            Reason.TOO_MANY_ROWS,
        )
    block = long_rows[:3]
    pitches = np.diff([r.baseline for r in block])
    max_pitch = _MAX_LABELLED_ROW_PITCH_MM if labels_confirmed else _MAX_ROW_PITCH_MM
    if pitches.max() > max_pitch * ppmm:
        raise Rejection(
            RejectCode.UNREADABLE,
            "trace rows are missing between the rows found (faint or very small traces?). "
            "Scan the printout at a higher contrast, or upload the PDF.",
            Reason.ROWS_MISSING,
        )
    if pitches.min() < 12 * ppmm or pitches.max() > 1.25 * pitches.min():
        raise Rejection(
            RejectCode.UNSUPPORTED_LAYOUT,
            "the first three trace rows are not evenly spaced as in a 3 x 4 printout.",
            Reason.ROWS_UNEVEN,
        )
    x_start = _time_zero(block, width, ppmm, trace.shape[1])
    # A 3 x 4 block changes lead at each 2.5 s boundary of its rows; continuous 10 s strips
    # (6 x 1, or a 50 mm/s page read as 25 mm/s) do not. Printed labels, where a PDF has them,
    # have already said which it is.
    changes = (
        9
        if labels_confirmed
        else sum(
            _boundary_evidence(trace, row, x_start + c * SEGMENT_MM * ppmm, ppmm)
            for row in block
            for c in (1, 2, 3)
        )
    )
    if changes < _MIN_LEAD_CHANGES:
        raise Rejection(
            RejectCode.UNSUPPORTED_LAYOUT,
            "the rows run on without changing lead every 2.5 s: this is not a 3 x 4 printout "
            "(e.g. six or twelve 10 s strips). Print or export the standard 3 x 4 layout.",
            Reason.NO_LEAD_CHANGES,
        )
    baselines = (block[0].baseline, block[1].baseline, block[2].baseline)
    return BlockFit(x_start, baselines, tuple(r.baseline for r in long_rows[3:]))
