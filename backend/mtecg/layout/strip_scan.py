"""Reading raster scans printed as strips (6 x 2, 12 x 1) from their printed lead labels.

A scan has no text layer, so its arrangement is proven by OCR or not at all: the labels a
printer puts above each strip's start are read (Tesseract, one run over a sheet of small
corners, as `label_ocr` reads a 3 x 4 page's) at every place a strip layout may start a lead,
t = 0 and each 62.5 mm after it on every trace row. A layout is accepted only when the page
has its number of rows, no legible lettered label (aVR ... V6) stands anywhere but where that
layout prints it, and at least `MIN_CONFIRMED` of them stand where it does. Roman numerals
neither prove nor contradict: an OCR drops or adds strokes of "III". The leads' places then
follow from the layout, and `strips` cuts their windows as it does for a PDF.

A 6 x 2 row is 250 mm at 25 mm/s (10 s) and at 50 mm/s (5 s) alike, so the trace rows do not
tell the speed. The calibration pulses do: a standard pulse is 0.2 s wide (5 mm at 25 mm/s,
10 mm at 50 mm/s) and 1 mV tall. The speed is what the printed "25 mm/s" and the pulses' width
agree on, the gain what the printed "10 mm/mV" and their height agree on, each from either
witness where the other is illegible or missing; when they disagree, or neither is there, the
page is refused.
"""

from __future__ import annotations

import dataclasses
import re

import cv2
import numpy as np
import numpy.typing as npt
import pytesseract

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import CANONICAL_COLUMNS, CANONICAL_PX_PER_MM, LEADS, SEGMENT_MM
from mtecg.ingest.page import PageSource
from mtecg.layout.ink import TRACE_BINARY, trace_only
from mtecg.layout.label_ocr import GLYPH_INK, LETTERED, OCR_TIMEOUT_S, Corner, glyphs, read_labels
from mtecg.layout.result import LayoutResult, RGBImage
from mtecg.layout.rows import BoolMap, TraceRow, find_rows
from mtecg.layout.strips import (
    GAINS_MM_MV,
    OVERVIEW_PPMM,
    SPEEDS_MM_S,
    Labels,
    page_spans,
    strips_result,
    time_zero,
    trace_map,
)

#: Lettered labels that must stand where a layout prints them before it is accepted (of 9).
MIN_CONFIRMED = 6
_LIMB, _CHEST = CANONICAL_COLUMNS
_STARTS = 4  # label places per row: t = 0 and every 62.5 mm (2.5 s at 25 mm/s) after it
#: Known strip layouts: (row, place) -> the lead printed there; place k is k x 62.5 mm from
#: t = 0 (a 6 x 2 page's second strip starts mid-row, 125 mm, at 25 and at 50 mm/s alike).
LAYOUTS: dict[str, dict[tuple[int, int], str]] = {
    "6x2": {
        **{(r, 0): lead for r, lead in enumerate(_LIMB)},
        **{(r, 2): lead for r, lead in enumerate(_CHEST)},
    },
    "12x1": {(r, 0): lead for r, lead in enumerate(LEADS)},
}
_ROWS = {name: 1 + max(r for r, _ in places) for name, places in LAYOUTS.items()}
_MIN_ROW_MM = 200.0  # a strip row spans the page's 250 mm; shorter rows are no strip rows
_LEAD_IN_MM = 3.0  # a corner starts this far left of its place (labels start at it or after)
_CORNER_W_MM = 16.0
_CORNER_MAX_H_MM = 14.0
_PULSE_SEARCH_MM = 20.0  # pulses stand this far left of t = 0 at most (0.2 s at 50 mm/s + gap)
_PULSE_MAX_MM = 22.0  # the tallest pulse: 1 mV at 20 mm/mV, and a little more
_PULSE_TOLERANCE = 0.15
_PULSE_S = 0.2  # a calibration pulse's width in time
_PULSE_WIDTH_TOLERANCE = 0.25  # 5 mm +- 1.25 and 10 mm +- 2.5: the two speeds never overlap
_PULSE_TOP_MM = 0.75  # a column is on the pulse's top when its highest ink is this near it
_SHEET_GAP_PX = 40
_TEXT_CONFIG = "--psm 11 --dpi 300 -c tessedit_char_whitelist=0123456789.,mVs/"
# OCR of a blurred scan drops the slash ("25mms", "5mmmV"); "mm" is still required, so a
# duration ("94 ms") never reads as a speed.
_SPEED = re.compile(r"(\d+(?:[.,]\d+)?)\s*mm\s*/?\s*s(?![a-z])", re.IGNORECASE)
_GAIN = re.compile(r"(\d+(?:[.,]\d+)?)\s*mm\s*/?\s*m+V", re.IGNORECASE)


def _strip_rows(trace: np.ndarray) -> list[TraceRow]:
    """The page's full-width trace rows (overview px), top to bottom.

    Any row counts, flat (a low-voltage aVL) or busy (a 20 mm/mV chest lead): only rows as
    long as a strip row are kept, which no line of text is.
    """
    rows = find_rows(trace, OVERVIEW_PPMM, min_tall=0, text_filter=False)
    return [r for r in rows if r.right - r.start >= _MIN_ROW_MM * OVERVIEW_PPMM]


def _corners(
    page: PageSource, rows: list[TraceRow], x_zero: float, ppmm: float
) -> list[tuple[int, int, Corner]]:
    """Each row's label corners (native geometry, cut at 11.81 px/mm), grid removed."""
    baselines = [r.baseline * ppmm / OVERVIEW_PPMM for r in rows]
    pitch = float(np.min(np.diff(baselines))) if len(baselines) > 1 else 2 * _CORNER_MAX_H_MM
    # Labels stand up to two thirds of the way to the next row up (its trace, clipped to its
    # own half of the pitch, is one large stroke that the glyph filter drops).
    height = min(0.75 * pitch, _CORNER_MAX_H_MM * ppmm)
    f = CANONICAL_PX_PER_MM / ppmm
    out: list[tuple[int, int, Corner]] = []
    for r, baseline in enumerate(baselines):
        for k in range(_STARTS):
            x0 = x_zero + (k * SEGMENT_MM - _LEAD_IN_MM) * ppmm
            box = (x0, baseline - height, x0 + _CORNER_W_MM * ppmm, baseline)
            if box[2] > page.width or box[1] < 0:
                continue
            out.append((r, k, (None, _inside(trace_only(page.render(f, box))))))
    return out


def _inside(corner: RGBImage) -> RGBImage:
    """The corner with every stroke that touches its edge painted white.

    A label lies wholly inside its corner; pieces of trace cut off by the corner's edges (a P
    wave, a T wave) are glyph-sized and an OCR reads them as letters.
    """
    ink = (corner.min(axis=2) < GLYPH_INK).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    edge = (x == 0) | (y == 0) | (x + w == corner.shape[1]) | (y + h == corner.shape[0])
    edge[0] = False
    if count <= 1 or not edge.any():
        return corner
    out = corner.copy()
    out[edge[labels]] = 255
    return out


def _match(rows: int, read: dict[tuple[int, int], set[str]]) -> str | None:
    """The known layout the legible lettered labels prove, or None."""
    for name, places in LAYOUTS.items():
        if rows != _ROWS[name]:
            continue
        wrong = any(words & LETTERED - {places.get(at)} for at, words in read.items())
        confirmed = sum(places.get(at) in words & LETTERED for at, words in read.items())
        if not wrong and confirmed >= MIN_CONFIRMED:
            return name
    return None


def _legible(text: str, pattern: re.Pattern[str], allowed: tuple[float, ...]) -> set[float]:
    """The allowed values the OCR'd text states (a misread such as "40 mm/mV" is no value)."""
    return {float(m.replace(",", ".")) for m in pattern.findall(text)} & set(allowed)


def _refuse(reason: Reason, detail: str) -> Rejection:
    return Rejection(
        RejectCode.UNSUPPORTED_LAYOUT,
        f"{detail}; the leads cannot be timed or scaled safely. Upload the PDF, or a scan that "
        "shows the printed settings.",
        reason,
    )


def speed_from(text: str, pulse: float | None) -> float:
    """The paper speed the printed text and the pulses' width agree on (either, if one is mute).

    Nothing else tells 25 from 50 mm/s on a strip page.
    """
    found = _legible(text, _SPEED, SPEEDS_MM_S) | ({pulse} if pulse is not None else set())
    if len(found) != 1:
        shown = ", ".join(f"{v:g}" for v in sorted(found)) or "none legible"
        raise _refuse(
            Reason.PAPER_SPEED,
            f"the scan's printed paper speed and calibration pulse ({shown}) do not agree",
        )
    return found.pop()


def _pulses(trace: BoolMap, rows: list[TraceRow], x_zero: float) -> list[tuple[float, float]]:
    """Each row's calibration pulse as (height, width) in mm, where one is found.

    Each pulse stands left of its row's t = 0 (`x_zero`, overview px); its top is the highest
    ink there above the baseline, searched no nearer the next row up than 15 % of the pitch,
    and its width the longest run of columns whose highest ink lies on that top.
    """
    ppmm = OVERVIEW_PPMM
    pitch = float(np.diff([r.baseline for r in rows]).min())
    reach = min(_PULSE_MAX_MM * ppmm, 0.85 * pitch)
    x0, x1 = max(0, round(x_zero - _PULSE_SEARCH_MM * ppmm)), max(0, round(x_zero))
    found = []
    for row in rows:
        y0 = max(0, round(row.baseline - reach))
        region = trace[y0 : round(row.baseline) + 1, x0:x1]
        ink = np.flatnonzero(region.any(axis=1))
        if not ink.size:
            continue
        top = np.where(region.any(axis=0), region.argmax(axis=0), region.shape[0])
        on_top = np.abs(top - ink[0]) <= _PULSE_TOP_MM * ppmm
        found.append(((row.baseline - y0 - ink[0]) / ppmm, _longest_true_run(on_top) / ppmm))
    return found


def _longest_true_run(flags: npt.NDArray[np.bool_]) -> int:
    padded = np.concatenate([[0], flags.astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max(initial=0))


def _pulse_setting(
    values: list[float], allowed: tuple[float, ...], size: float, tolerance: float, rows: int
) -> float | None:
    """The allowed setting whose pulse size (`size` x setting mm) the rows' median shows.

    None when half the rows or fewer show a pulse, or the median is near no setting.
    """
    if len(values) <= rows // 2:
        return None
    median = float(np.median(values))
    near = [v for v in allowed if abs(median - size * v) <= tolerance * size * v]
    return near[0] if near else None


def _pulse_settings(
    trace: BoolMap, rows: list[TraceRow], x_zero: float
) -> tuple[float | None, float | None]:
    """The speed and gain the rows' calibration pulses show (0.2 s wide, 1 mV tall)."""
    pulses = _pulses(trace, rows, x_zero)
    speed = _pulse_setting(
        [w for _, w in pulses], SPEEDS_MM_S, _PULSE_S, _PULSE_WIDTH_TOLERANCE, len(rows)
    )
    gain = _pulse_setting([h for h, _ in pulses], GAINS_MM_MV, 1.0, _PULSE_TOLERANCE, len(rows))
    return speed, gain


def gain_from(text: str, pulse: float | None) -> float:
    """The gain the printed text and the calibration pulse agree on (either, if one is mute)."""
    found = _legible(text, _GAIN, GAINS_MM_MV) | ({pulse} if pulse is not None else set())
    if len(found) != 1:
        shown = ", ".join(f"{g:g}" for g in sorted(found)) or "none legible"
        raise _refuse(
            Reason.GAIN, f"the scan's printed gain and calibration pulse ({shown}) do not agree"
        )
    return found.pop()


def _settings_text(page: PageSource, top: float, ppmm: float, binarised: bool) -> str:
    """What OCR reads of the page above its first trace row (where printers state settings).

    `binarised`: the glyphs alone, black on white (the trace and grid removed); otherwise the
    grey page, which Tesseract binarises itself (better on some blurred scans, worse on others).
    """
    if top < 5 * ppmm:
        return ""
    # Tesseract merges a line's left and right ends (patient name ... "25 mm/s") into one line
    # and can drop the right end, and the ink test is fairer to a small region under uneven
    # light: the band is cut in overlapping thirds, each cleaned on its own and stacked on a
    # sheet. The overlap (a tenth of the page, about 30 mm) holds any one "25 mm/s" whole.
    pieces: list[npt.NDArray[np.uint8]] = []
    for a in (0.0, 0.3, 0.6):
        box = (a * page.width, 0.0, (a + 0.4) * page.width, top)
        piece = page.render(CANONICAL_PX_PER_MM / ppmm, box)
        grey = cv2.cvtColor(piece, cv2.COLOR_RGB2GRAY)
        pieces.append(glyphs(trace_only(piece)) if binarised else np.asarray(grey, np.uint8))
    gap = np.full((_SHEET_GAP_PX, max(p.shape[1] for p in pieces)), 255, dtype=np.uint8)
    sheet = np.vstack([part for piece in pieces for part in (gap, _pad(piece, gap.shape[1]))])
    try:
        data = pytesseract.image_to_data(
            sheet, config=_TEXT_CONFIG, output_type=pytesseract.Output.DICT, timeout=OCR_TIMEOUT_S
        )
    except (RuntimeError, pytesseract.TesseractError, OSError):
        return ""
    words = [
        (int(t), int(x), str(w).strip())
        for w, t, x in zip(data["text"], data["top"], data["left"], strict=True)
        if str(w).strip()
    ]
    # Reading order: lines of words whose tops lie within 2 mm, left to right.
    words.sort(key=lambda w: (round(w[0] / (2 * CANONICAL_PX_PER_MM)), w[1]))
    return " ".join(w for _, _, w in words)


def _pad(piece: npt.NDArray[np.uint8], width: int) -> npt.NDArray[np.uint8]:
    """The piece padded with white on the right to `width`."""
    out = np.full((piece.shape[0], width), 255, dtype=np.uint8)
    out[:, : piece.shape[1]] = piece
    return out


def read_strip_scan(page: PageSource, ppmm: float) -> LayoutResult | None:
    """Reads a straightened raster page printed as 6 x 2 or 12 x 1 strips at `ppmm` px/mm.

    None when its labels prove no known strip layout (the caller's own refusal then stands);
    a refusal when they do but the page cannot be read safely (settings not legible, rows
    not aligned in time, strips too short).
    """
    trace, scale = trace_map(page, ppmm, [], TRACE_BINARY)
    rows = _strip_rows(trace)
    if len(rows) not in _ROWS.values():
        return None
    x_zero = time_zero(rows) / scale
    corners = _corners(page, rows, x_zero, ppmm)
    words = read_labels([corner for _, _, corner in corners])
    read = {(r, k): found for (r, k, _), found in zip(corners, words, strict=True)}
    name = _match(len(rows), read)
    if name is None:
        return None
    first_top = rows[0].baseline / scale - min(
        0.5 * float(np.diff([r.baseline for r in rows]).min()) / scale, _CORNER_MAX_H_MM * ppmm
    )
    text = _settings_text(page, first_top, ppmm, binarised=True)
    if not _legible(text, _SPEED, SPEEDS_MM_S):
        # A second reading, only when the first fails: what either reads must then agree.
        text += " " + _settings_text(page, first_top, ppmm, binarised=False)
    pulse_speed, pulse_gain = _pulse_settings(trace, rows, x_zero * scale)
    speed = speed_from(text, pulse_speed)
    gain = gain_from(text, pulse_gain)
    labels: Labels = {}
    for (r, k), lead in LAYOUTS[name].items():
        x = x_zero + (k * SEGMENT_MM + 1.0) * ppmm
        labels[lead] = (x, x, rows[r].baseline / scale)
    spans = page_spans(page, trace, scale, labels, speed)
    result = strips_result(spans, speed, gain)
    panels = tuple(dataclasses.replace(p, page=None) for p in result.panels)
    return dataclasses.replace(result, panels=panels, pages=(), labels_checked=True)
