"""Automatic detection of standard 3 x 4 printouts (with 0-3 rhythm strips) at any scale.

The page is looked at once at low resolution: straightened, its scale measured from the grid
period, its trace rows found, and the 3 x 4 block fitted (three rows of four 2.5 s columns,
10 s = 250 mm wide, rhythm strips below). Only then are the twelve panels rendered at the
canonical 11.81 px/mm, so a PDF is rasterised at full resolution only where the leads are.
Anything that does not fit is refused with the reason that best tells the user what to do.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import (
    CANONICAL_PX_PER_MM,
    COLUMNS_3X4,
    MM_PER_INCH,
    PANEL_H_MM,
    PANEL_H_PX,
    PANEL_W_MM,
    PANEL_W_PX,
    PAPER_SPEED_MM_S,
    SEGMENT_MM,
    STRIP_MM,
)
from mtecg.ingest.image import ImagePage
from mtecg.ingest.limits import DEFAULT_INGEST_LIMITS
from mtecg.ingest.page import PageSource
from mtecg.layout.block import BlockFit, fit_block
from mtecg.layout.canonical import stack_6x2
from mtecg.layout.deskew import estimate_rotation
from mtecg.layout.ink import TRACE_BINARY, InkMaps, ink_maps, trace_only
from mtecg.layout.label_ocr import CORNER_H_MM, CORNER_W_MM, Corner, check_labels, panel_corners
from mtecg.layout.result import Box, LayoutResult, Panel, RGBImage
from mtecg.layout.rows import find_rows, remove_straight_lines
from mtecg.layout.scale import grid_periods
from mtecg.layout.strip_scan import read_strip_scan
from mtecg.layout.strips import read_strips
from mtecg.layout.text_layer import (
    Word,
    check_lead_labels,
    check_paper_speed,
    lead_labels,
    paper_speeds,
)
from mtecg.timing import Stopwatch

MIN_PX_PER_MM = 4.0  # about 100 dpi: below it 1 mm grid squares and QRS notches blur away
_OVERVIEW_DPI = 100
_OVERVIEW_MAX_SIDE = 1600
_MIN_ROTATION_DEG = 0.2
# Darkness from which a pixel counts in the deskew: anything printed, or (on a straightened
# photo) grid ink, which on grey or faint paper is lighter.
_PRINTED_LEVEL = 0.25
_GRID_LEVEL = 0.1
_ASSUMED_PAGE_WIDTH_MM = 280.0  # landscape A4/letter, only for grid-less images
# ECG traces are thin lines: on every real and synthetic printout they cover under 3 % of the
# page (docs/layout.md); random noise covers 18-40 %. Above this the picture is no printout,
# and any "scale" read from it would be read from noise.
_MAX_TRACE_FRACTION = 0.10


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


def _rhythm_corners(
    source: PageSource, fit: BlockFit, ppmm: float, scale: float, angle: float
) -> list[Corner]:
    """The label corners at a rhythm strip's 2.5 s boundaries, where no label belongs."""
    native_ppmm = ppmm / scale
    f = CANONICAL_PX_PER_MM / native_ppmm
    corners: list[Corner] = []
    for baseline in fit.rhythm_baselines:
        y0 = (baseline - PANEL_H_MM / 2 * ppmm) / scale
        for c in (1, 2, 3):
            x0 = (fit.x_start + c * SEGMENT_MM * ppmm) / scale
            box = (x0, y0, x0 + CORNER_W_MM * native_ppmm, y0 + CORNER_H_MM * native_ppmm)
            corners.append((None, trace_only(_straightened_region(source, box, f, angle))))
    return corners


def _printed_as_strips(text: str, words: list[Word], native_ppmm: float) -> bool:
    """Whether a PDF's text layer says its leads are not a 25 mm/s 3 x 4 block.

    Only a text layer can say so with proof (its lead labels); such a page goes to the strip
    reader, which reads it or refuses it. A page without labels stays with the 3 x 4 fit.
    """
    if not words or not lead_labels(words):
        return False
    speeds = paper_speeds(text)
    if speeds and PAPER_SPEED_MM_S not in speeds:
        return True
    try:
        check_lead_labels(words, native_ppmm)
    except Rejection:
        return True
    return False


_MIDDLE_LEADS = frozenset(COLUMNS_3X4[1])
_NOT_PROVEN = (
    "the page's rows may be a 3 x 4 printout with rhythm strips or a 6 x 2 one, and its "
    "lead labels are not legible enough to tell which. Upload the PDF, or a sharper scan."
)


def _as_strips(
    source: PageSource, native_ppmm: float, angle: float, refused: Rejection, clock: Stopwatch
) -> LayoutResult:
    """A raster page the 3 x 4 fit refused as another layout, read as strips if its labels
    prove one (`strip_scan`); otherwise the fit's refusal stands."""
    with clock.stage("strips"):
        page = source
        if angle != 0.0:
            straight = _rotate(source.render(1.0), angle)
            page = ImagePage(source.kind, straight, DEFAULT_INGEST_LIMITS.max_pixels)
        result = read_strip_scan(page, native_ppmm)
    if result is None:
        raise refused
    return replace(result, rotation_deg=round(angle, 2), timings_ms=clock.ms)


def detect_layout(source: PageSource, straightened: bool = False) -> LayoutResult:
    """Finds the 3 x 4 block on a page and returns its panels and the canonical image.

    `straightened`: the page is a photo already brought onto the axes from its grid lines
    (`mtecg.layout.rectify`); its leftover tilt is then measured on the grid alone, since the
    photo's dark paper edges and shadows would sway a measure of everything printed.
    A raster page the fit refuses as not 3 x 4 may still be a strip printout its printed
    labels prove (`_as_strips`).
    """
    clock = Stopwatch()
    with clock.stage("overview"):
        overview, scale = _overview(source)
        maps = ink_maps(overview)
    if float((maps.printed > 0.25).mean()) < 0.002:
        raise Rejection(RejectCode.NOT_ECG, "the page is blank.", Reason.BLANK_PAGE)
    if float((maps.trace > TRACE_BINARY).mean()) > _MAX_TRACE_FRACTION:
        raise Rejection(
            RejectCode.NOT_ECG,
            "the picture is mostly dark ink (noise, a photograph or a drawing), not an ECG "
            "printout. Upload a 12-lead ECG printout.",
            Reason.NOT_A_PRINTOUT,
        )
    with clock.stage("text"):
        text = source.text()
        words: list[Word] = []
        if source.native_dpi is not None:
            words = source.words()
        strips = _printed_as_strips(text, words, (source.native_dpi or 0) / MM_PER_INCH)
    if strips:
        with clock.stage("strips"):
            result = read_strips(source)
        return replace(result, labels_checked=True, timings_ms=clock.ms)
    check_paper_speed(text)
    labels_confirmed = bool(words) and check_lead_labels(
        words, (source.native_dpi or 0) / MM_PER_INCH
    )
    # A PDF with a text layer was drawn, not scanned: it cannot be crooked.
    angle = 0.0
    if not words:
        with clock.stage("deskew"):
            angle = estimate_rotation(
                maps.grid if straightened else maps.printed,
                _GRID_LEVEL if straightened else _PRINTED_LEVEL,
            )
            if abs(angle) < _MIN_ROTATION_DEG:
                angle = 0.0
            else:
                overview = _rotate(overview, angle)
                maps = ink_maps(overview)
    if maps.dark_grid:
        raise Rejection(
            RejectCode.UNREADABLE,
            "the grid is printed as dark as the trace, so the trace cannot be told from it "
            "safely. Print the ECG on paper with a light (red, pink, green or grey) grid.",
            Reason.DARK_GRID,
        )
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
                    Reason.LOW_SCAN_RESOLUTION,
                )
            )
            continue
        try:
            with clock.stage("rows"):
                trace = remove_straight_lines(binary, ppmm)
                fit = fit_block(find_rows(trace, ppmm), trace, ppmm, labels_confirmed)
        except Rejection as rejection:
            if not words and rejection.code is RejectCode.UNSUPPORTED_LAYOUT:
                return _as_strips(source, ppmm / scale, angle, rejection, clock)
            if rejection.code is RejectCode.NOT_ECG and grid_seen:
                rejection = Rejection(
                    RejectCode.UNREADABLE,
                    "ECG paper was found but no trace could be followed on it. Check that the "
                    "printout is flat, in focus and evenly lit, or upload the PDF.",
                    Reason.NO_TRACE_ON_GRID,
                )
            rejections.append(rejection)
            continue
        panels = _panel_boxes(fit, ppmm, 1.0 / scale)
        native_ppmm = ppmm / scale
        with clock.stage("canonical"):
            canonical = _canonical(source, panels, native_ppmm, angle)
        if not words:
            # No text layer to prove the leads: the printed labels, where OCR can read them.
            # Two or three rhythm strips: the rows may be a 6 x 2 page's (one row perhaps
            # too flat to find). Its limb-lead rows print I/II/III and V1-V3 where a 3 x 4
            # page prints them, never aVR/aVL/aVF 62.5 mm in: only those prove the 3 x 4.
            proof = _MIDDLE_LEADS if fit.rhythm_strips >= 2 else frozenset()
            try:
                with clock.stage("labels"):
                    rhythm = _rhythm_corners(source, fit, ppmm, scale, angle)
                    labels_confirmed = check_labels(panel_corners(canonical) + rhythm, proof)
            except Rejection as rejection:
                return _as_strips(source, native_ppmm, angle, rejection, clock)
            if proof and not labels_confirmed:
                unproven = Rejection(
                    RejectCode.UNSUPPORTED_LAYOUT, _NOT_PROVEN, Reason.LEAD_LABELS_CONTRADICT
                )
                return _as_strips(source, native_ppmm, angle, unproven, clock)
        return LayoutResult(
            profile="auto",
            px_per_mm=round(native_ppmm, 3),
            rotation_deg=round(angle, 2),
            panels=panels,
            canonical=canonical,
            rhythm_strips=fit.rhythm_strips,
            labels_checked=labels_confirmed,
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
        RejectCode.NOT_ECG,
        "no ECG grid or trace was found. Upload a 12-lead ECG printout.",
        Reason.NO_GRID_OR_TRACE,
    )
