"""Reading PDFs whose leads are printed as strips: 6 x 2, 12 x 1, 6 x 1 over two pages.

Only a born-digital PDF can be read this way: its text layer names every lead where it is
printed, and that is the proof of which trace is which lead (docs/layout.md). Each label is
matched to the trace row it sits on, and to the 2.5 s boundary of that row it sits at; the
row's left end is t = 0 and the printed paper speed turns x into time. For each lead the
window a 3 x 4 printout would show (I/II/III 0-2.5 s, aVR/aVL/aVF 2.5-5 s, V1-V3 5-7.5 s,
V4-V6 7.5-10 s) is cut where the page shows it, or the nearest window it does show
(`time_windows: approximate`), and resampled to the canonical geometry (25 mm/s, 10 mm/mV).
A label that fits no row or no boundary, a lead printed twice, or fewer than twelve leads
over the PDF's pages is a refusal: a lead in the wrong panel is worse than no answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from math import ceil, floor

import cv2
import numpy as np

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import (
    CANONICAL_PX_PER_MM,
    COLUMNS_3X4,
    LEADS,
    MM_PER_INCH,
    PANEL_H_MM,
    PANEL_H_PX,
    PANEL_W_MM,
    PANEL_W_PX,
    PAPER_SPEED_MM_S,
    SEGMENT_S,
)
from mtecg.ingest.page import PageSource
from mtecg.ingest.pdf import PdfPage
from mtecg.layout.canonical import stack_6x2
from mtecg.layout.ink import TRACE_NONE, ink_maps, trace_only
from mtecg.layout.result import Box, LayoutResult, Panel, RGBImage, TimeWindows
from mtecg.layout.rows import ROW_BAND_MM, BoolMap, TraceRow, find_rows, remove_straight_lines
from mtecg.layout.text_layer import Word, gains, lead_labels, paper_speeds

STANDARD_GAIN_MM_MV = 10.0
SPEEDS_MM_S = (25.0, 50.0)
GAINS_MM_MV = (5.0, 10.0, 20.0)
_OVERVIEW_DPI = 100
OVERVIEW_PPMM = _OVERVIEW_DPI / MM_PER_INCH
_SEARCH_MM = 15.0  # how far from its label a row's baseline is looked for, at most
_SAME_ROW_MM = 4.0  # labels closer than this in y name strips of one row (6 x 2)
RULE_MM = 255.0  # horizontal strokes longer than any 10 s row are rules and frames
# What a label may be from the row it names: printers put it just above or below the
# baseline, never as far as the next row (rows are at least 12 mm apart on any printout).
_LABEL_ROW_FRACTION = 0.5
# Labels sit at the start of their strip; at most this far (mm) from its 2.5 s boundary.
_LABEL_BOUNDARY_MM = 12.0
# A row's left end may lie this far (mm) from its page's common time zero (a calibration
# pulse touching the row moves its detected start); more means the rows are not aligned.
_ROW_START_MM = 3.0
# The first label of a row may stand left of t = 0, in the margin before the trace.
_LABEL_LEAD_IN_MM = 25.0
_MAX_ROW_S = 10.4  # a recording is 10 s; longer at the printed speed means a wrong speed
_WINDOW_S = PANEL_W_MM / PAPER_SPEED_MM_S  # 2.37 s: the time a canonical panel shows
_EXACT_S = 0.05  # a window shifted less than this is the 3 x 4 window
_DOT_INK = 200  # grey level below which a canonical pixel is ink
_DOT_MM = 0.7  # specks smaller than this across are grid dots, not trace


@dataclass(frozen=True)
class _Span:
    """Where one lead is printed: its page, row baseline, x of t = 0 and time range."""

    page: PageSource
    ppmm: float  # native px per mm of paper
    baseline: float  # native px
    x_zero: float  # native px of t = 0 on this row
    start_s: float
    end_s: float


def _window_start(lead: str) -> float:
    """Where a 3 x 4 printout starts this lead's window (0, 2.5, 5 or 7.5 s)."""
    column = next(c for c, leads in enumerate(COLUMNS_3X4) if lead in leads)
    return column * SEGMENT_S


def _refuse(reason: Reason, message: str) -> Rejection:
    return Rejection(RejectCode.UNSUPPORTED_LAYOUT, message, reason)


def _one_value(
    found: set[float], allowed: tuple[float, ...], default: float, what: str, unit: str
) -> float:
    if not found:
        return default
    if len(found) > 1 or next(iter(found)) not in allowed:
        shown = ", ".join(f"{v:g} {unit}" for v in sorted(found))
        raise _refuse(
            Reason.PAPER_SPEED if unit == "mm/s" else Reason.GAIN,
            f"the page states {what} {shown}; only "
            + ", ".join(f"{v:g}" for v in allowed)
            + f" {unit} can be read.",
        )
    return next(iter(found))


def page_settings(text: str) -> tuple[float, float]:
    """Paper speed (mm/s) and gain (mm/mV) the page's text states; 25 and 10 when silent."""
    speed = _one_value(paper_speeds(text), SPEEDS_MM_S, PAPER_SPEED_MM_S, "a speed of", "mm/s")
    gain = _one_value(gains(text), GAINS_MM_MV, STANDARD_GAIN_MM_MV, "a gain of", "mm/mV")
    return speed, gain


def trace_map(
    page: PageSource, ppmm: float, words: list[Word], faint: float
) -> tuple[BoolMap, float]:
    """The page's trace pixels at overview resolution, labels erased, and its scale.

    Lead labels are black like the trace and would lengthen the rows they touch; the text
    layer says exactly where they are. (Only labels: some exports draw their grid as text.)
    Only ink wholly inside a label's box goes: a trace crossing the box (a T wave rising
    into a label printed just above its baseline) must not break its row there.
    Ink darker than `faint` counts: on a PDF a thin flat trace at 100 dpi is anti-aliased to
    light grey, and the rows must not break up where a lead is flat (a scan's noise needs a
    darker threshold).
    """
    scale = OVERVIEW_PPMM / ppmm
    binary = ink_maps(page.render(scale)).trace > faint
    for x0, y0, x1, y1, text in words:
        if text.strip() not in LEADS:
            continue
        _erase_enclosed(
            binary,
            max(0, floor(y0 * scale) - 1),
            max(0, floor(x0 * scale) - 1),
            ceil(y1 * scale) + 2,
            ceil(x1 * scale) + 2,
        )
    return remove_straight_lines(binary, OVERVIEW_PPMM, RULE_MM), scale


def _erase_enclosed(binary: BoolMap, y0: int, x0: int, y1: int, x1: int) -> None:
    """Clears the inked components of binary[y0:y1, x0:x1] that do not reach its edge."""
    roi = binary[y0:y1, x0:x1]
    if roi.size == 0:
        return
    count, labels = cv2.connectedComponents(roi.astype(np.uint8), connectivity=8)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    enclosed = np.ones(count, dtype=bool)
    enclosed[edge] = False
    enclosed[0] = False
    roi[enclosed[labels]] = False


def _labelled_row(trace: BoolMap, y: float, others: list[float]) -> TraceRow | None:
    """The trace row of a label at overview y, searched no nearer to another label's row.

    Labels sit just above or below their own row's baseline; half the distance to the next
    label up or down keeps the search off the neighbouring row.
    """
    ppmm = OVERVIEW_PPMM
    apart = [abs(o - y) for o in others if abs(o - y) > _SAME_ROW_MM * ppmm]
    half = min(_SEARCH_MM * ppmm, 0.5 * min(apart)) if apart else _SEARCH_MM * ppmm
    # First the baseline nearest the label, then the row's extent in a band centred on that
    # baseline (a band centred on the label would cut off the trace's far side). The first
    # search looks a row band beyond `half` so that a baseline near its edge is seen whole
    # (12 x 1 at 50 mm/s: rows 14 mm apart, the label 5 mm above its baseline), but only a
    # baseline within `half` of the label counts.
    row = _strongest_row(trace, y, half, ROW_BAND_MM * ppmm)
    return None if row is None else _strongest_row(trace, row.baseline, half)


def _strongest_row(trace: BoolMap, at: float, half: float, margin: float = 0.0) -> TraceRow | None:
    """The row within `at` +- `half` (page y) whose baseline holds the most trace.

    A baseline is where a trace spends most of its time; a clipped trace's flat tops or a
    neighbour's excursions make weaker rows in the same band, even nearer the label. Rows are
    found in a band `margin` wider on each side, then kept only where their baseline is near.
    """
    y0 = max(0, round(at - half - margin))
    band = trace[y0 : round(at + half + margin) + 1]
    rows = [
        r
        for r in find_rows(band, OVERVIEW_PPMM, min_tall=0, text_filter=False)
        if abs(r.baseline + y0 - at) <= half
    ]
    if not rows:
        return None
    counts = band.sum(axis=1)
    row = max(
        rows, key=lambda r: int(counts[max(0, round(r.baseline) - 1) : round(r.baseline) + 2].sum())
    )
    return replace(row, baseline=row.baseline + y0)


Labels = dict[str, tuple[float, float, float]]


def time_zero(rows: list[TraceRow]) -> float:
    """The x (px of the rows) of t = 0: where the rows begin.

    A row's detected pulse (`start` past `left`) is trusted only where no row shows a clean
    start: the pulse test, made for 25 mm/s, can take a QRS at a row's very start for a pulse.
    """
    clean = [r.left for r in rows if r.start == r.left]
    return float(np.median(clean or [r.start for r in rows]))


def page_spans(
    page: PageSource, trace: BoolMap, scale: float, labels: Labels, speed: float
) -> dict[str, _Span]:
    """Matches each label on the page to its row and 2.5 s boundary; refuses what fits none.

    `labels` give each lead's left x, centre x and centre y (native px); `trace` is the page's
    `trace_map` at `scale` (overview px per native px).
    """
    native_ppmm = OVERVIEW_PPMM / scale
    label_ys = [yc * scale for _, _, yc in labels.values()]
    rows: list[TraceRow] = []
    on_row: dict[int, list[str]] = {}
    for lead, (_, _, yc) in labels.items():
        row = _labelled_row(trace, yc * scale, label_ys)
        if row is None:
            raise _refuse(
                Reason.LEAD_LABELS_CONTRADICT,
                f"no trace row was found beside the label {lead}; the leads cannot be told "
                "apart safely.",
            )
        same = [k for k, r in enumerate(rows) if abs(r.baseline - row.baseline) < OVERVIEW_PPMM]
        if not same:
            rows.append(row)
        on_row.setdefault(same[0] if same else len(rows) - 1, []).append(lead)
    x_zero = time_zero(rows) / scale
    x_end = float(np.median([r.right for r in rows])) / scale
    baselines = [r.baseline / scale for r in rows]
    mm_per_s = speed * native_ppmm
    spans: dict[str, _Span] = {}
    for k, leads in on_row.items():
        row = rows[k]
        tolerance = _ROW_START_MM * native_ppmm
        if row.left / scale > x_zero + tolerance or abs(row.right / scale - x_end) > tolerance:
            raise _refuse(
                Reason.LEAD_LABELS_CONTRADICT,
                "the labelled trace rows do not start and end at the same times; the leads "
                "cannot be placed in time safely.",
            )
        end_s = (x_end - x_zero) / mm_per_s
        if end_s > _MAX_ROW_S:
            raise _refuse(
                Reason.STRIPS_WRONG_LENGTH,
                f"a labelled row runs {end_s:.1f} s at the printed {speed:g} mm/s; a recording "
                "is 10 s (is the paper speed printed wrongly?).",
            )
        starts: list[tuple[str, float]] = []
        for lead in sorted(leads, key=lambda a: labels[a][0]):
            t = (labels[lead][0] - x_zero) / mm_per_s
            boundary = max(0.0, round(t / SEGMENT_S) * SEGMENT_S)
            off_mm = (t - boundary) * speed
            if (
                not -_LABEL_LEAD_IN_MM <= off_mm <= _LABEL_BOUNDARY_MM
                or (boundary > 0 and abs(off_mm) > _LABEL_BOUNDARY_MM)
                or (starts and boundary <= starts[-1][1])
            ):
                raise _refuse(
                    Reason.LEAD_LABELS_CONTRADICT,
                    f"the label {lead} is not at the start of a strip of its row; the leads "
                    "cannot be told apart safely.",
                )
            starts.append((lead, boundary))
        for i, (lead, start) in enumerate(starts):
            end = starts[i + 1][1] if i + 1 < len(starts) else min(10.0, end_s)
            spans[lead] = _Span(page, native_ppmm, baselines[k], x_zero, start, end)
    return spans


def _native_ppmm(page: PageSource) -> float:
    return (page.native_dpi or _OVERVIEW_DPI) / MM_PER_INCH


def _pages(source: PageSource) -> Iterator[PageSource]:
    """The opened page, then the PDF's later pages (report pages come out as label-less)."""
    yield source
    if isinstance(source, PdfPage):
        for index in range(source.page_index + 1, source.page_count):
            yield source.sibling(index)


def _spans(source: PageSource) -> tuple[dict[str, _Span], float, float]:
    """Every lead's span over the PDF's pages, with the (common) speed and gain."""
    spans: dict[str, _Span] = {}
    settings: set[tuple[float, float]] = set()
    for page in _pages(source):
        words = page.words()
        labels = lead_labels(words)
        if not labels:
            continue
        again = sorted(set(labels) & set(spans), key=LEADS.index)
        if again:
            raise _refuse(
                Reason.LEAD_LABELS_CONTRADICT,
                f"lead {again[0]} is printed on more than one page; which one the model should "
                "see cannot be decided safely.",
            )
        speed, gain = page_settings(page.text())
        settings.add((speed, gain))
        if len(settings) > 1:
            raise _refuse(
                Reason.LEAD_LABELS_CONTRADICT,
                "the PDF's pages state different paper speeds or gains.",
            )
        ppmm = _native_ppmm(page)
        trace, scale = trace_map(page, ppmm, words, TRACE_NONE)
        spans.update(page_spans(page, trace, scale, labels, speed))
        if len(spans) == len(LEADS):
            break
    missing = [lead for lead in LEADS if lead not in spans]
    if missing or not settings:
        raise _refuse(
            Reason.LEADS_MISSING,
            f"the PDF does not print lead(s) {', '.join(missing)} with their labels. Upload "
            "the whole ECG (all its pages).",
        )
    speed, gain = settings.pop()
    return spans, speed, gain


def _panel(lead: str, span: _Span, speed: float, gain: float) -> tuple[Panel, bool]:
    """The lead's panel box (native px of its page) and whether it is the 3 x 4 window."""
    wanted = _window_start(lead)
    if span.end_s - span.start_s < _WINDOW_S - _EXACT_S:
        raise _refuse(
            Reason.STRIPS_WRONG_LENGTH,
            f"lead {lead} is printed for {span.end_s - span.start_s:.1f} s; a panel needs "
            f"{_WINDOW_S:.1f} s.",
        )
    start = float(np.clip(wanted, span.start_s, max(span.start_s, span.end_s - _WINDOW_S)))
    ppmm = span.ppmm
    x0 = span.x_zero + start * speed * ppmm
    half_h = PANEL_H_MM / 2 * gain / STANDARD_GAIN_MM_MV * ppmm
    box: Box = (
        round(x0),
        round(span.baseline - half_h),
        round(x0 + PANEL_W_MM * speed / PAPER_SPEED_MM_S * ppmm),
        round(span.baseline + half_h),
    )
    return Panel(lead, box, span.page.page_index + 1, round(start, 2)), abs(start - wanted) < (
        _EXACT_S
    )


def _tiles(page: PageSource, ppmm: float, panels: list[Panel]) -> dict[str, RGBImage]:
    """Each panel of one page cut at 11.81 px/mm and resampled to 701 x 350 without grid.

    The page is rendered once over the panels' union; each box is then resized on its own,
    which is where a 50 mm/s or 5/20 mm/mV panel is brought to 25 mm/s and 10 mm/mV.
    """
    f = CANONICAL_PX_PER_MM / ppmm
    bx0 = max(0, min(p.box[0] for p in panels))
    by0 = max(0, min(p.box[1] for p in panels))
    bx1 = min(page.width, max(p.box[2] for p in panels))
    by1 = min(page.height, max(p.box[3] for p in panels))
    region = page.render(f, (bx0, by0, bx1, by1))
    tiles: dict[str, RGBImage] = {}
    for panel in panels:
        x0, y0, x1, y1 = (round(v * f) for v in panel.box)
        tile = np.full((y1 - y0, x1 - x0, 3), 255, dtype=np.uint8)
        ox, oy = round(bx0 * f), round(by0 * f)
        src = region[max(0, y0 - oy) : max(0, y1 - oy), max(0, x0 - ox) : max(0, x1 - ox)]
        dy, dx = max(0, oy - y0), max(0, ox - x0)
        tile[dy : dy + src.shape[0], dx : dx + src.shape[1]] = src[: y1 - y0 - dy, : x1 - x0 - dx]
        resized = cv2.resize(tile, (PANEL_W_PX, PANEL_H_PX), interpolation=cv2.INTER_AREA)
        tiles[panel.lead] = _without_dots(trace_only(np.asarray(resized)))
    return tiles


def _without_dots(tile: RGBImage) -> RGBImage:
    """The tile with isolated specks (a black dotted grid's dots) painted white.

    A grid of black dots survives the colour test that removes coloured grids; a dot is a
    speck well under a millimetre across, while every piece of trace or label is larger.
    """
    dark = (tile[:, :, 0] < _DOT_INK).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    size = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    specks = size < _DOT_MM * CANONICAL_PX_PER_MM
    specks[0] = False  # the background
    if count <= 1 or not specks.any():
        return tile
    out = tile.copy()
    out[specks[labels]] = 255
    return out


def _layout_name(spans: dict[str, _Span]) -> str:
    pages = {s.page.page_index for s in spans.values()}
    per_row: dict[tuple[int, float], int] = {}
    for s in spans.values():
        key = (s.page.page_index, round(s.baseline))
        per_row[key] = per_row.get(key, 0) + 1
    rows, columns = len(per_row) // len(pages), max(per_row.values())
    return f"{rows}x{columns}" + (f"-{len(pages)}page" if len(pages) > 1 else "")


def read_strips(source: PageSource) -> LayoutResult:
    """Reads a PDF whose text layer labels every lead (any arrangement of 2.5-10 s strips)."""
    spans, speed, gain = _spans(source)
    return strips_result(spans, speed, gain)


def strips_result(spans: dict[str, _Span], speed: float, gain: float) -> LayoutResult:
    """The twelve leads' panels and canonical image, cut from where their spans lie."""
    panels: list[Panel] = []
    exact = True
    for lead in LEADS:
        panel, is_exact = _panel(lead, spans[lead], speed, gain)
        panels.append(panel)
        exact = exact and is_exact
    tiles: dict[str, RGBImage] = {}
    pages = sorted({s.page.page_index for s in spans.values()})
    for index in pages:
        span = next(s for s in spans.values() if s.page.page_index == index)
        tiles.update(_tiles(span.page, span.ppmm, [p for p in panels if p.page == index + 1]))
    windows: TimeWindows = "exact" if exact else "approximate"
    return LayoutResult(
        profile="auto",
        px_per_mm=round(spans[LEADS[0]].ppmm, 3),
        rotation_deg=0.0,
        panels=tuple(panels),
        canonical=stack_6x2(tiles),
        layout_name=_layout_name(spans),
        time_windows=windows,
        paper_speed_mm_s=speed,
        gain_mm_mv=gain,
        pages=tuple(i + 1 for i in pages),
    )
