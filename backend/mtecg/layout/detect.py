"""Automatic detection of standard 3 x 4 printouts (with 0-3 rhythm strips) at any scale.

The page is looked at once at low resolution: straightened, its scale measured from the grid
period, its trace rows found, and the 3 x 4 block fitted (three rows of four 2.5 s columns,
10 s = 250 mm wide, rhythm strips below). Only then are the twelve panels rendered at the
canonical 11.81 px/mm, so a PDF is rasterised at full resolution only where the leads are.
Anything that does not fit is refused with the reason that best tells the user what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from mtecg.errors import RejectCode, Rejection
from mtecg.geometry import (
    CANONICAL_PX_PER_MM,
    COLUMNS_3X4,
    LEADS,
    MM_PER_INCH,
    PANEL_H_MM,
    PANEL_H_PX,
    PANEL_W_MM,
    PANEL_W_PX,
    SEGMENT_MM,
    STRIP_MM,
)
from mtecg.ingest.page import PageSource
from mtecg.layout.canonical import stack_6x2
from mtecg.layout.deskew import estimate_rotation
from mtecg.layout.ink import TRACE_BINARY, InkMaps, ink_maps, trace_only
from mtecg.layout.result import Box, LayoutResult, Panel, RGBImage
from mtecg.layout.rows import TraceRow, find_rows, remove_straight_lines
from mtecg.layout.scale import grid_periods
from mtecg.timing import Stopwatch

MIN_PX_PER_MM = 4.0  # about 100 dpi: below it 1 mm grid squares and QRS notches blur away
_OVERVIEW_DPI = 100
_OVERVIEW_MAX_SIDE = 1600
_MIN_ROTATION_DEG = 0.2
_MIN_LEAD_CHANGES = 3
# Rows of a 3 x 4 block are 25-45 mm apart on every printer seen; farther means rows missed.
_MAX_ROW_PITCH_MM = 50.0
# How far the rows' start may lie before t = 0 (an undetected pulse) or after it (rows
# shorter than 10 s by a scan's slack), in mm, before the page counts as distorted.
_PULSE_ALLOWANCE_MM = 8.0
_SHORTFALL_ALLOWANCE_MM = 3.0  # of the 9 column boundaries of the block's rows
_ASSUMED_PAGE_WIDTH_MM = 280.0  # landscape A4/letter, only for grid-less images
_PAPER_SPEED = re.compile(r"(\d+(?:[.,]\d+)?)\s*mm\s*/\s*s(?:ec)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class BlockFit:
    """Where the 3 x 4 block lies on the overview: time-zero x, row baselines, rhythm rows."""

    x_start: float
    baselines: tuple[float, float, float]
    rhythm_strips: int


def _overview(source: PageSource) -> tuple[RGBImage, float]:
    if source.native_dpi is not None:
        scale = _OVERVIEW_DPI / source.native_dpi
    else:
        scale = min(1.0, _OVERVIEW_MAX_SIDE / max(source.width, source.height))
    return source.render(scale), scale


def _rotate(image: RGBImage, angle_deg: float) -> RGBImage:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -angle_deg, 1.0)
    return np.asarray(
        cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    )


def _check_paper_speed(text: str) -> None:
    speeds = {float(m.replace(",", ".")) for m in _PAPER_SPEED.findall(text)}
    if speeds and 25.0 not in speeds:
        shown = ", ".join(f"{s:g} mm/s" for s in sorted(speeds))
        raise Rejection(
            RejectCode.UNSUPPORTED_LAYOUT,
            f"the page is printed at {shown}; only 25 mm/s printouts can be read. "
            "Print or export the ECG at 25 mm/s.",
        )


Word = tuple[float, float, float, float, str]
# Neighbours in a 3 x 4 printout: the label of the second lead sits one column (62.5 mm) to
# the right of the first's, on the same row.
_ROW_NEIGHBOURS = tuple(
    (left[r], right[r]) for left, right in pairwise(COLUMNS_3X4) for r in range(3)
)


def _check_lead_labels(words: list[Word], native_ppmm: float) -> bool:
    """Refuses a PDF whose printed lead labels are not arranged as in a 3 x 4 printout.

    Returns whether the labels confirm a 3 x 4 arrangement (at least two neighbour pairs).

    The text layer is the surest witness of the layout where there is one: six rows of
    continuous strips (I, II, III, aVR, aVL, aVF stacked at one x) look much like a 3 x 4 block
    with three rhythm strips to the pixels, but not to their labels.
    """
    first: dict[str, tuple[float, float]] = {}
    for x0, y0, x1, y1, text in sorted(words, key=lambda w: (w[1], w[0])):
        label = text.strip()
        if label in LEADS and label not in first:
            first[label] = ((x0 + x1) / 2, (y0 + y1) / 2)
    column = SEGMENT_MM * native_ppmm
    confirmed = 0
    for a, b in _ROW_NEIGHBOURS:
        if a in first and b in first:
            dx = first[b][0] - first[a][0]
            dy = first[b][1] - first[a][1]
            if abs(dx - column) > 0.2 * column or abs(dy) > 8 * native_ppmm:
                raise Rejection(
                    RejectCode.UNSUPPORTED_LAYOUT,
                    "the lead labels are not arranged as in a 3 x 4 printout (e.g. six or "
                    "twelve 10 s rows). Print or export the ECG in the standard 3 x 4 layout.",
                )
            confirmed += 1
    return confirmed >= 2


def _scale_candidates(maps: InkMaps, source: PageSource, scale: float) -> tuple[list[float], bool]:
    """Overview px/mm readings to try, most likely first, and whether a grid was seen."""
    # A reading that would make the page narrower than one 10 s strip cannot be right.
    width = maps.grid.shape[1]
    periods = [p for p in grid_periods(maps.grid) if width / p >= 0.95 * STRIP_MM]
    if source.native_dpi is not None:
        # A PDF page is drawn to scale: its own dpi says the px/mm, the grid may confirm it.
        known = source.native_dpi * scale / MM_PER_INCH
        agreeing = [p for p in periods if abs(p - known) / known < 0.03]
        return agreeing[:1] or [known], bool(agreeing)
    if periods:
        return periods, True
    guess = width / _ASSUMED_PAGE_WIDTH_MM
    return [_scale_from_rows(maps.trace > TRACE_BINARY, guess)], False


def _scale_from_rows(binary: np.ndarray, guess: float) -> float:
    """px/mm of a page without a readable grid: its longest trace rows are 10 s = 250 mm.

    The guess (a landscape page filling the image) only needs to be close enough to find
    the rows; their span then gives the scale.
    """
    rows = find_rows(remove_straight_lines(binary, guess), guess)
    spans = sorted((r.right - r.start for r in rows), reverse=True)[:3]
    if len(spans) < 3:
        return guess
    return float(np.median(spans)) / STRIP_MM


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
        )
    return from_right


def _fit_block(
    rows: list[TraceRow], trace: np.ndarray, ppmm: float, labels_confirmed: bool
) -> BlockFit:
    """Fits three rows of four 2.5 s columns (plus rhythm strips) to the trace rows."""
    width = STRIP_MM * ppmm
    if not rows:
        raise Rejection(
            RejectCode.NOT_ECG,
            "no ECG trace rows were found: this does not look like a 12-lead ECG printout, or "
            "the picture is too distorted to follow. Upload the PDF or a flat scan.",
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
            )
        raise Rejection(
            RejectCode.UNREADABLE,
            "ECG traces were found but not three complete 10 s rows. Check that the whole "
            "printout is in the picture, flat and in focus, or upload the PDF.",
        )
    if len(long_rows) > 6:
        raise Rejection(
            RejectCode.UNSUPPORTED_LAYOUT,
            f"found {len(long_rows)} trace rows; a 3 x 4 printout has 3 plus at most 3 rhythm "
            "strips (12 x 1 and similar layouts are not supported).",
        )
    block = long_rows[:3]
    pitches = np.diff([r.baseline for r in block])
    if pitches.max() > _MAX_ROW_PITCH_MM * ppmm:
        raise Rejection(
            RejectCode.UNREADABLE,
            "trace rows are missing between the rows found (faint or very small traces?). "
            "Scan the printout at a higher contrast, or upload the PDF.",
        )
    if pitches.min() < 12 * ppmm or pitches.max() > 1.25 * pitches.min():
        raise Rejection(
            RejectCode.UNSUPPORTED_LAYOUT,
            "the first three trace rows are not evenly spaced as in a 3 x 4 printout.",
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
        )
    baselines = (block[0].baseline, block[1].baseline, block[2].baseline)
    return BlockFit(x_start, baselines, len(long_rows) - 3)


def _panel_boxes(fit: BlockFit, ppmm: float, to_native: float) -> tuple[Panel, ...]:
    panels = []
    for c, leads in enumerate(COLUMNS_3X4):
        x0 = (fit.x_start + c * SEGMENT_MM * ppmm) * to_native
        for r, lead in enumerate(leads):
            yc = fit.baselines[r] * to_native
            native_ppmm = ppmm * to_native
            box: Box = (
                round(x0),
                round(yc - PANEL_H_MM / 2 * native_ppmm),
                round(x0 + PANEL_W_MM * native_ppmm),
                round(yc + PANEL_H_MM / 2 * native_ppmm),
            )
            panels.append(Panel(lead, box))
    return tuple(panels)


def _straightened_region(
    source: PageSource, box: tuple[float, float, float, float], f: float, angle: float
) -> RGBImage:
    """The straightened page's `box` (native px) at scale `f`, rendering no more than needed.

    On a crooked scan only the part of the original page that rotates into the box is
    rendered and rotated, not the whole page: less time, and a much smaller peak of memory.
    """
    if angle == 0.0:
        return source.render(f, box)
    bx0, by0, bx1, by1 = box
    centre = (source.width / 2, source.height / 2)
    to_straight = np.vstack([cv2.getRotationMatrix2D(centre, -angle, 1.0), [0.0, 0.0, 1.0]])
    corners = np.array([[bx0, bx1, bx0, bx1], [by0, by0, by1, by1], [1.0, 1.0, 1.0, 1.0]])
    original = np.linalg.inv(to_straight) @ corners
    ox0 = max(0.0, float(original[0].min()) - 2)
    oy0 = max(0.0, float(original[1].min()) - 2)
    ox1 = min(float(source.width), float(original[0].max()) + 2)
    oy1 = min(float(source.height), float(original[1].max()) + 2)
    region = source.render(f, (ox0, oy0, ox1, oy1))
    from_region = np.array([[1 / f, 0.0, ox0], [0.0, 1 / f, oy0], [0.0, 0.0, 1.0]])
    to_output = np.array([[f, 0.0, -bx0 * f], [0.0, f, -by0 * f], [0.0, 0.0, 1.0]])
    matrix = (to_output @ to_straight @ from_region)[:2]
    size = (round((bx1 - bx0) * f), round((by1 - by0) * f))
    return np.asarray(
        cv2.warpAffine(region, matrix, size, flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    )


def _canonical(
    source: PageSource, panels: tuple[Panel, ...], native_ppmm: float, angle: float
) -> RGBImage:
    """Renders each panel at 11.81 px/mm with the grid removed, then stacks them 6 x 2."""
    f = CANONICAL_PX_PER_MM / native_ppmm
    margin = 2 * native_ppmm
    bx0 = max(0.0, min(p.box[0] for p in panels) - margin)
    by0 = max(0.0, min(p.box[1] for p in panels) - margin)
    bx1 = min(float(source.width), max(p.box[2] for p in panels) + margin)
    by1 = min(float(source.height), max(p.box[3] for p in panels) + margin)
    region = _straightened_region(source, (bx0, by0, bx1, by1), f, angle)
    ox, oy = bx0 * f, by0 * f
    tiles: dict[str, RGBImage] = {}
    for panel in panels:
        x0, y0 = round(panel.box[0] * f - ox), round(panel.box[1] * f - oy)
        tile = np.full((PANEL_H_PX, PANEL_W_PX, 3), 255, dtype=np.uint8)
        src = region[max(0, y0) : y0 + PANEL_H_PX, max(0, x0) : x0 + PANEL_W_PX]
        dy, dx = max(0, y0) - y0, max(0, x0) - x0
        tile[dy : dy + src.shape[0], dx : dx + src.shape[1]] = src
        tiles[panel.lead] = trace_only(tile)
    return stack_6x2(tiles)


def detect_layout(source: PageSource) -> LayoutResult:
    """Finds the 3 x 4 block on a page and returns its panels and the canonical image."""
    clock = Stopwatch()
    with clock.stage("overview"):
        overview, scale = _overview(source)
        maps = ink_maps(overview)
    if float((maps.printed > 0.25).mean()) < 0.002:
        raise Rejection(RejectCode.NOT_ECG, "the page is blank.")
    with clock.stage("text"):
        _check_paper_speed(source.text())
        words: list[Word] = []
        labels_confirmed = False
        if source.native_dpi is not None:
            words = source.words()
            labels_confirmed = bool(words) and _check_lead_labels(
                words, source.native_dpi / MM_PER_INCH
            )
    # A PDF with a text layer was drawn, not scanned: it cannot be crooked.
    angle = 0.0
    if not words:
        with clock.stage("deskew"):
            angle = estimate_rotation(maps.printed)
            if abs(angle) < _MIN_ROTATION_DEG:
                angle = 0.0
            else:
                overview = _rotate(overview, angle)
                maps = ink_maps(overview)
    with clock.stage("scale"):
        candidates, grid_seen = _scale_candidates(maps, source, scale)
    binary = maps.trace > TRACE_BINARY
    rejections: list[Rejection] = []
    for ppmm in candidates:
        if ppmm / scale < MIN_PX_PER_MM:
            rejections.append(
                Rejection(
                    RejectCode.TOO_LOW_RESOLUTION,
                    f"the ECG is scanned at about {ppmm / scale:.1f} px/mm; at least "
                    f"{MIN_PX_PER_MM:g} px/mm (about 100 dpi) is needed. Scan at 300 dpi or "
                    "upload the PDF.",
                )
            )
            continue
        try:
            with clock.stage("rows"):
                trace = remove_straight_lines(binary, ppmm)
                fit = _fit_block(find_rows(trace, ppmm), trace, ppmm, labels_confirmed)
        except Rejection as rejection:
            if rejection.code is RejectCode.NOT_ECG and grid_seen:
                rejection = Rejection(
                    RejectCode.UNREADABLE,
                    "ECG paper was found but no trace could be followed on it. Check that the "
                    "printout is flat, in focus and evenly lit, or upload the PDF.",
                )
            rejections.append(rejection)
            continue
        panels = _panel_boxes(fit, ppmm, 1.0 / scale)
        native_ppmm = ppmm / scale
        with clock.stage("canonical"):
            canonical = _canonical(source, panels, native_ppmm, angle)
        return LayoutResult(
            profile="auto",
            px_per_mm=round(native_ppmm, 3),
            rotation_deg=round(angle, 2),
            panels=panels,
            canonical=canonical,
            rhythm_strips=fit.rhythm_strips,
            timings_ms=clock.ms,
        )
    raise _most_telling(rejections)


# When every scale reading fails, the reason shown is the one that tells the user most.
_PRECEDENCE = (
    RejectCode.UNSUPPORTED_LAYOUT,
    RejectCode.UNREADABLE,
    RejectCode.TOO_LOW_RESOLUTION,
    RejectCode.NOT_ECG,
)


def _most_telling(rejections: list[Rejection]) -> Rejection:
    for code in _PRECEDENCE:
        for rejection in rejections:
            if rejection.code is code:
                return rejection
    return Rejection(
        RejectCode.NOT_ECG, "no ECG grid or trace was found. Upload a 12-lead ECG printout."
    )
