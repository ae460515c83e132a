"""Which way up a page is: quarter turns, decided from the printout's own structure.

A photo or scan may show the page turned by 90, 180 or 270 degrees with no EXIF orientation
to say so. The straightening stages (`rectify`, the deskew) only bring the grid onto the
image axes, and a grid looks the same in all four quarter turns. The traces do not:

- Trace rows run along the page's long axis. On the right axis the row finder
  (`mtecg.layout.rows.find_rows`) finds 10 s rows; across them it finds none (a band across
  vertical traces is crossed by each only where it wiggles). Only a clear majority of row
  length (three times, at least three rows) turns the page onto the other axis.
- Calibration pulses (1 mV x 0.2 s) stand up from the baseline, whether a printer puts them
  at the start or at the end of the rows; turned by 180 degrees they hang down. So the
  pulses at the rows' ends, up against down, say which end is up.

When the pulses do not decide (none found, or as many each way), only the axis is known
(`proven` False) and `mtecg.layout.find_layout` lets the printed labels decide (the OCR
check in `label_ocr.py` confirms only an upright page); a sideways page that neither decides
is refused (`orientation_unclear`) rather than read either way up.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import STRIP_MM
from mtecg.ingest.page import PageSource
from mtecg.ingest.raster import RGB, Clip, Word, clip_box
from mtecg.layout.deskew import estimate_rotation
from mtecg.layout.ink import TRACE_BINARY, ink_maps
from mtecg.layout.rows import find_rows, remove_straight_lines
from mtecg.layout.scale import grid_periods

Matrix = npt.NDArray[np.float64]

_OVERVIEW_MAX_SIDE = 1200
#: Landscape A4/letter: only for a page whose grid cannot be read (its long side).
_ASSUMED_LONG_SIDE_MM = 280.0
#: The page is turned onto the other axis only when the rows found there are this many times
#: longer in total (and at least three of them): a turn on weak evidence could misread.
_AXIS_MARGIN = 3.0
_MIN_ROWS = 3
#: Rows at least this fraction of 10 s long count (the rows of a 3 x 4 block or a rhythm
#: strip; shorter ones are as often the page's other features).
_MIN_ROW_FRACTION = 0.8
#: The calibration pulse: width limits (0.2 s is 5 mm at 25 mm/s), least height (5 mm/mV
#: gain), how far above the baseline its top may be, and the stretch of row searched.
_PULSE_MIN_MM = 3.0
_PULSE_MAX_MM = 7.0
_MIN_PULSE_HEIGHT_MM = 3.0
_PULSE_SEARCH_MM = 25.0
_PULSE_WINDOW_MM = 12.0
#: Pulses found at one end must outnumber those at the other by this many.
_PULSE_MARGIN = 2


@dataclass(frozen=True)
class Orientation:
    """`quarter_turns`: counter-clockwise quarter turns (np.rot90's k) that set the page up;
    `proven`: the calibration pulses said which end is up (else only the axis is known)."""

    quarter_turns: int
    proven: bool = True

    @property
    def rotation_deg(self) -> float:
        """How far the upload is turned, counter-clockwise as seen (the layout's convention)."""
        turned = (-90 * self.quarter_turns) % 360
        return float(turned - 360 if turned > 180 else turned)


def unturn_matrix(width: float, height: float, quarter_turns: int) -> Matrix:
    """Map from pixels of a `width` x `height` image turned `quarter_turns` counter-clockwise
    (np.rot90) back to the image's own pixels (homogeneous 3 x 3)."""
    w, h = float(width), float(height)
    matrices = {
        0: np.eye(3),
        1: np.array([[0.0, -1.0, w], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
        2: np.array([[-1.0, 0.0, w], [0.0, -1.0, h], [0.0, 0.0, 1.0]]),
        3: np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, h], [0.0, 0.0, 1.0]]),
    }
    return matrices[quarter_turns % 4]


class TurnedPage:
    """A `PageSource` showing `source` turned by `quarter_turns` counter-clockwise."""

    def __init__(self, source: PageSource, quarter_turns: int) -> None:
        self.kind = source.kind
        self.page_index = source.page_index
        self.native_dpi = source.native_dpi
        self.quarter_turns = quarter_turns % 4
        odd = self.quarter_turns % 2 == 1
        self.width, self.height = (
            (source.height, source.width) if odd else (source.width, source.height)
        )
        self._source = source

    def to_source(self) -> Matrix:
        """The map from this page's pixels to the source's (homogeneous 3 x 3)."""
        return unturn_matrix(self._source.width, self._source.height, self.quarter_turns)

    def _source_clip(self, clip: Clip | None) -> Clip:
        x0, y0, x1, y1 = clip_box(clip, self.width, self.height)
        w, h = float(self._source.width), float(self._source.height)
        k = self.quarter_turns
        if k == 1:
            return (w - y1, x0, w - y0, x1)
        if k == 2:
            return (w - x1, h - y1, w - x0, h - y0)
        if k == 3:
            return (y0, h - x1, y1, h - x0)
        return (x0, y0, x1, y1)

    def render(self, scale: float = 1.0, clip: Clip | None = None) -> RGB:
        """The turned page's `clip`: the matching clip of the source, turned losslessly."""
        region = self._source.render(scale, self._source_clip(clip))
        return np.ascontiguousarray(np.rot90(region, self.quarter_turns))

    def text(self) -> str:
        """Only pages without a text layer are turned (see `mtecg.layout.find_layout`)."""
        return ""

    def words(self) -> list[Word]:
        """Only pages without a text layer are turned (see `mtecg.layout.find_layout`)."""
        return []


def _rows_along(trace: npt.NDArray[np.bool_], ppmm: float) -> tuple[int, float, int, int]:
    """10 s rows found with the image as it is: count, total length (mm), and the calibration
    pulses at their ends standing up from the baseline and hanging down from it.

    Printers put the pulses at the start or at the end of the rows, but always upwards
    (+1 mV); a page turned by 180 degrees shows them hanging down.
    """
    rows = [
        r
        for r in find_rows(trace, ppmm, text_filter=False)
        if r.right - r.left >= _MIN_ROW_FRACTION * STRIP_MM * ppmm
    ]
    h, w = trace.shape
    views = {
        "up": (trace, lambda r: (r.baseline, r.left)),
        "up_mirrored": (trace[:, ::-1], lambda r: (r.baseline, w - 1 - r.right)),
        "down": (trace[::-1], lambda r: (h - 1 - r.baseline, r.left)),
        "down_mirrored": (trace[::-1, ::-1], lambda r: (h - 1 - r.baseline, w - 1 - r.right)),
    }
    counts = {
        name: sum(_opens_with_pulse(view, *where(r), ppmm) for r in rows)
        for name, (view, where) in views.items()
    }
    length = sum(r.right - r.left for r in rows) / ppmm
    up = counts["up"] + counts["up_mirrored"]
    return len(rows), length, up, counts["down"] + counts["down_mirrored"]


def _opens_with_pulse(
    trace: npt.NDArray[np.bool_], baseline: float, left: int, ppmm: float
) -> bool:
    """Whether the row starting at `left` opens with a calibration pulse.

    A pulse (1 mV x 0.2 s) is a flat-topped step 5-20 mm above the baseline and 5 mm wide,
    back on the baseline just after. Its top is looked for up to 25 mm above the baseline (a
    20 mm/mV pulse) and from 7 mm before the row's start: when it is taller than the row
    finder's band, only its falling edge is in the row. A pulse cut by the image border is
    taken at the width it shows.
    """
    x0 = max(0, left - round(_PULSE_MAX_MM * ppmm))
    y0 = max(0, round(baseline - _PULSE_SEARCH_MM * ppmm))
    y1, x1 = round(baseline + 1.5 * ppmm) + 1, left + round(_PULSE_WINDOW_MM * ppmm)
    window = trace[y0:y1, x0:x1]
    if window.size == 0:
        return False
    height = np.where(window.any(axis=0), (baseline - y0) - window.argmax(axis=0), 0.0)
    raised = height >= _MIN_PULSE_HEIGHT_MM * ppmm
    if not raised[: left - x0 + round(2 * ppmm)].any():
        return False
    first = int(np.argmax(raised))
    head = height[first : first + round(_PULSE_MIN_MM * ppmm)]
    level = float(np.median(head[head >= _MIN_PULSE_HEIGHT_MM * ppmm]))
    # The flat top: columns within half a millimetre of its level, a faint pixel or two
    # missing; a slanted rising edge may come first.
    near = _fill_gaps(np.abs(height - level) <= max(1.0, 0.5 * ppmm), 2)
    near[:first] = False
    start = int(np.argmax(near))
    rest = near[start:]
    run = len(rest) if rest.all() else int(np.argmin(rest))
    least = (_PULSE_MIN_MM - 1.0 if x0 + start <= 1 else _PULSE_MIN_MM) * ppmm
    if start > first + 1 or not least <= run <= _PULSE_MAX_MM * ppmm:
        return False
    after = height[start + run : start + run + round(2 * ppmm)]
    # Its rising or falling edge joins the top to the baseline (a stroke higher up, not so
    # joined, belongs to the row above).
    base_row = round(baseline) - y0
    top_row = base_row - round(level)
    ends = (start - 1, start, start + run - 1, start + run)
    edges = [c for c in ends if 0 <= c < window.shape[1]]
    joined = any(
        float(window[top_row + 1 : base_row - round(ppmm), c].mean()) >= 0.8 for c in edges
    )
    return joined and after.size > 0 and float(after.min()) < 1.5 * ppmm


def _fill_gaps(flags: npt.NDArray[np.bool_], longest: int) -> npt.NDArray[np.bool_]:
    """`flags` with runs of up to `longest` False between two True set True."""
    filled = flags.copy()
    on = np.flatnonzero(flags)
    for a, b in itertools.pairwise(on):
        if 1 < b - a <= longest + 1:
            filled[a:b] = True
    return filled


def _px_per_mm(grid: npt.NDArray[np.float32]) -> float:
    """Overview px/mm from the grid (either axis reads the same), else from the page size."""
    long_side = max(grid.shape)
    periods = [p for p in grid_periods(grid) if long_side / p >= 0.95 * STRIP_MM]
    return periods[0] if periods else long_side / _ASSUMED_LONG_SIDE_MM


def unclear(detail: str) -> Rejection:
    """The refusal of a page whose way up could not be told."""
    return Rejection(
        RejectCode.UNREADABLE,
        f"the page is turned ({detail}) and which way up it is could not be told safely. "
        "Upload the picture upright (trace rows running left to right, text upright).",
        Reason.ORIENTATION_UNCLEAR,
    )


def find_orientation(source: PageSource) -> Orientation:
    """The quarter turns that set the page upright, and whether its pulses proved them.

    The axis is taken from where the rows run; which end is up from the calibration pulses.
    Without pulse evidence the result is the turn that brings the rows across with the page
    as uploaded otherwise (`proven` False), for the caller to confirm from the printed labels.
    """
    scale = min(1.0, _OVERVIEW_MAX_SIDE / max(source.width, source.height))
    overview = source.render(scale)
    maps = ink_maps(overview)
    angle = estimate_rotation(maps.printed)
    if angle != 0.0:
        h, w = overview.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
        overview = np.asarray(cv2.warpAffine(overview, matrix, (w, h), borderValue=(255, 255, 255)))
        maps = ink_maps(overview)
    ppmm = _px_per_mm(maps.grid)
    across = remove_straight_lines(maps.trace > TRACE_BINARY, ppmm)
    # Turned a quarter clockwise (np.rot90's k = 3), rows that ran down the picture run across.
    down = np.ascontiguousarray(np.rot90(across, -1))
    _, length_a, up_a, hanging_a = _rows_along(across, ppmm)
    rows_d, length_d, up_d, hanging_d = _rows_along(down, ppmm)
    sideways = rows_d >= _MIN_ROWS and length_d > _AXIS_MARGIN * length_a
    turns, up, hanging = (3, up_d, hanging_d) if sideways else (0, up_a, hanging_a)
    if up >= hanging + _PULSE_MARGIN:
        return Orientation(turns, proven=True)
    if hanging >= up + _PULSE_MARGIN:
        return Orientation((turns + 2) % 4, proven=True)
    return Orientation(turns, proven=False)


def turned(source: PageSource, quarter_turns: int) -> PageSource:
    """`source` turned by `quarter_turns` (itself for none)."""
    return TurnedPage(source, quarter_turns) if quarter_turns % 4 else source
