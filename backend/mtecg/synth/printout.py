"""Vector PDF printouts of a 12-lead recording: grid paper, traces, labels, pulses, header.

Graphics are written straight into the page's content stream, in pixels of the 300-dpi
rendering (y downwards; 1 px = 72/300 pt): going through PyMuPDF's Shape object point by
point costs about a second per page, the raw stream a few milliseconds. Text goes through
PyMuPDF, so the page has a real text layer (lead labels, header, "25 mm/s") like a printer's
PDF export.

Grid lines are 1 px (fine) and 2 px (bold) wide and cover whole pixels of the 300-dpi
rendering, so a page rendered at 300 dpi shows the grid in its exact colours, as the published
grid-colour removal (docs/domain.md §2, +-3 per channel) expects of the Siriraj printer.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pymupdf

from mtecg.geometry import (
    CANONICAL_PX_PER_MM,
    COLUMNS_3X4,
    LEADS,
    PANEL_H_MM,
    PAPER_SPEED_MM_S,
    RENDER_DPI,
    SEGMENT_S,
)
from mtecg.synth.header import Header
from mtecg.synth.layouts import RGB, Layout, StripLayout
from mtecg.synth.signals import FS_HZ, N_SAMPLES, FloatArray, Signals

PT_PER_MM = 72.0 / 25.4
_PX = CANONICAL_PX_PER_MM  # stream units per mm: pixels of the 300-dpi rendering
_PT_PER_PX = 72.0 / RENDER_DPI
# MuPDF gives a pixel part of a line that ends exactly on its edge: a hair's shift keeps
# 1 px and 2 px lines on exactly 1 and 2 pixel columns.
_PIXEL_BIAS = 0.02
_DOT_PX = 2.0
_LABEL_PT = 9.0
_HEADER_PT = 8.5
_GRID_MARGIN_MM = 1.0


def _rgb(colour: RGB) -> str:
    """PDF colour operands that a renderer turns back into exactly these 8-bit values.

    A third of a level is added because some renderers truncate rather than round.
    """
    return " ".join(f"{min(1.0, (c + 0.3) / 255):.6f}" for c in colour)


def _stroke(colour: RGB, width_px: float, dashes: str = "[] 0") -> str:
    return f"{_rgb(colour)} RG {width_px:.4f} w {dashes} d"


def _segments(coords: list[tuple[float, float, float, float]]) -> str:
    """Separate straight lines, given in mm."""
    return (
        "\n".join(
            f"{a * _PX:.3f} {b * _PX:.3f} m {c * _PX:.3f} {d * _PX:.3f} l" for a, b, c, d in coords
        )
        + "\nS"
    )


def _polyline(xs_mm: npt.ArrayLike, ys_mm: npt.ArrayLike) -> str:
    points = (np.column_stack([xs_mm, ys_mm]) * _PX).round(2).tolist()
    first, rest = points[0], points[1:]
    return f"{first[0]} {first[1]} m\n" + "\n".join(f"{x} {y} l" for x, y in rest) + "\nS"


def _grid_positions(origin: float, lo: float, hi: float) -> list[tuple[float, bool]]:
    """Positions (mm) of 1 mm grid lines between lo and hi, aligned on origin; True = bold."""
    first, last = math.ceil(lo - origin), math.floor(hi - origin)
    return [(origin + k, k % 5 == 0) for k in range(first, last + 1)]


def _snap(x_mm: float, bold: bool) -> float:
    """Where a 1 px (fine) or 2 px (bold) line covers whole pixels at 300 dpi, in mm."""
    px = x_mm * _PX
    return ((round(px) if bold else math.floor(px) + 0.5) + _PIXEL_BIAS) / _PX


def _grid_ops(layout: Layout) -> list[str]:
    """1 mm lines or dots and 5 mm lines over the page below the header."""
    w, h = layout.page_mm
    x_lo, x_hi = _GRID_MARGIN_MM, w - _GRID_MARGIN_MM
    y_lo, y_hi = layout.grid_top_mm, h - _GRID_MARGIN_MM
    xs = [(_snap(x, bold), bold) for x, bold in _grid_positions(layout.x0_mm, x_lo, x_hi)]
    ys = [(_snap(y, bold), bold) for y, bold in _grid_positions(layout.baseline0_mm, y_lo, y_hi)]
    x_lo, x_hi, y_lo, y_hi = xs[0][0], xs[-1][0], ys[0][0], ys[-1][0]
    grid = layout.grid
    ops: list[str] = []
    if grid.fine is not None:
        if grid.fine_dots:
            # A dot at every 1 mm crossing: dashed horizontal lines, one dash per column.
            start = x_lo - _DOT_PX / 2 / _PX
            ops.append(_stroke(grid.fine, _DOT_PX, f"[{_DOT_PX:.4f} {_PX - _DOT_PX:.4f}] 0"))
            ops.append(_segments([(start, y, x_hi, y) for y, bold in ys if not bold]))
        else:
            ops.append(_stroke(grid.fine, 1.0))
            lines = [(x, y_lo, x, y_hi) for x, bold in xs if not bold]
            lines += [(x_lo, y, x_hi, y) for y, bold in ys if not bold]
            ops.append(_segments(lines))
    ops.append(_stroke(grid.bold, 2.0))
    lines = [(x, y_lo, x, y_hi) for x, bold in xs if bold]
    lines += [(x_lo, y, x_hi, y) for y, bold in ys if bold]
    ops.append(_segments(lines))
    return ops


def _paper_ops(layout: Layout) -> list[str]:
    """A tinted sheet: the whole page filled with the paper colour (nothing for white)."""
    if layout.paper_rgb is None:
        return []
    w, h = (v * _PX for v in layout.page_mm)
    return [f"{_rgb(layout.paper_rgb)} rg 0 0 {w:.3f} {h:.3f} re f"]


def _calibration_pulse(layout: Layout, baseline: float) -> str:
    """A 1 mV x 0.2 s step drawn just left of the block start, ending at t = 0's x."""
    x, h = layout.x0_mm, layout.gain_mm_per_mv
    points = [(x - 6.0, 0.0), (x - 5.5, 0.0), (x - 5.5, h), (x - 0.5, h), (x - 0.5, 0.0), (x, 0.0)]
    xs = np.array([p[0] for p in points])
    ys = baseline - np.array([p[1] for p in points])
    return _polyline(xs, ys)


def _trace(
    layout: Layout,
    signal: FloatArray,
    x_start: float,
    baseline: float,
    speed_mm_s: float = PAPER_SPEED_MM_S,
    height_mm: float = PANEL_H_MM,
) -> str:
    """One lead's samples as a polyline, clipped to `height_mm` (its panel's height).

    Clipping (as printers with channel clipping do) keeps every lead inside its own panel.
    """
    xs = x_start + np.arange(len(signal)) * (speed_mm_s / FS_HZ)
    limit = height_mm / 2 - layout.trace_width_mm / 2 - 0.15
    ys = baseline - np.clip(signal * layout.gain_mm_per_mv, -limit, limit)
    return _polyline(xs, ys)


def _trace_ops(layout: Layout, signals: Signals) -> list[str]:
    ops = [f"{_stroke(layout.trace_rgb, layout.trace_width_mm * _PX)} 1 J 1 j"]
    segment = round(SEGMENT_S * FS_HZ)
    lifted = round(layout.lead_change_gap_mm / PAPER_SPEED_MM_S * FS_HZ)
    rows = layout.row_baselines_mm()
    for c, leads in enumerate(COLUMNS_3X4):
        end = min((c + 1) * segment + 1, N_SAMPLES) - (lifted if c < 3 else 0)
        for lead, baseline in zip(leads, rows, strict=True):
            samples = signals[LEADS.index(lead), c * segment : end]
            ops.append(_trace(layout, samples, layout.column_x_mm(c), baseline))
    for lead, baseline in zip(layout.rhythm_leads, layout.rhythm_baselines_mm(), strict=True):
        ops.append(_trace(layout, signals[LEADS.index(lead)], layout.x0_mm, baseline))
    for baseline in rows + layout.rhythm_baselines_mm():
        ops.append(_calibration_pulse(layout, baseline))
    return ops


def _marker_ops(layout: Layout) -> list[str]:
    """The block frame and lead-change markers some printers add."""
    grid, ops = layout.grid, []
    if layout.crop_frame_mm is not None and grid.marker is not None:
        x0, y0, x1, y1 = (round(v * _PX) + _PIXEL_BIAS for v in layout.crop_frame_mm)
        ops += [_stroke(grid.marker, 2.0), f"{x0:.3f} {y0:.3f} {x1 - x0:.3f} {y1 - y0:.3f} re S"]
    if grid.column_markers:
        colour = grid.marker or layout.trace_rgb
        # Short bars above the baseline at each lead change, just inside the new column's panel.
        half = layout.trace_width_mm / 2
        ticks = [
            (layout.column_x_mm(c) + half, b - 5.0, layout.column_x_mm(c) + half, b - 2.0)
            for c in range(1, 4)
            for b in layout.row_baselines_mm()
        ]
        ops += [_stroke(colour, layout.trace_width_mm * _PX), _segments(ticks)]
    return ops


def _text(layout: Layout, page: pymupdf.Page, header: Header) -> None:
    colour = tuple(c / 255 for c in layout.trace_rgb)
    rows = layout.row_baselines_mm()
    raise_mm = min(0.3 * layout.row_pitch_mm, 9.0)
    for c, leads in enumerate(COLUMNS_3X4):
        for lead, baseline in zip(leads, rows, strict=True):
            at = ((layout.column_x_mm(c) + 1.0) * PT_PER_MM, (baseline - raise_mm) * PT_PER_MM)
            page.insert_text(at, lead, fontsize=_LABEL_PT, fontname="helv", color=colour)
    for lead, baseline in zip(layout.rhythm_leads, layout.rhythm_baselines_mm(), strict=True):
        at = ((layout.x0_mm + 1.0) * PT_PER_MM, (baseline - raise_mm) * PT_PER_MM)
        page.insert_text(at, lead, fontsize=_LABEL_PT, fontname="helv", color=colour)
    _header_text(layout, page, header)


def _new_page(doc: pymupdf.Document, layout: Layout) -> pymupdf.Page:
    w, h = layout.page_mm
    # Page size rounded to 0.01 pt so a 300-dpi rendering has a well-defined pixel size.
    return doc.new_page(width=round(w * PT_PER_MM, 2), height=round(h * PT_PER_MM, 2))


def _put_graphics(doc: pymupdf.Document, page: pymupdf.Page, ops: list[str]) -> None:
    """Writes `ops` (300-dpi pixel units, y down) as the page's first content stream."""
    stream = [f"q {_PT_PER_PX} 0 0 {-_PT_PER_PX} 0 {page.rect.height:.4f} cm", *ops, "Q"]
    xref = doc.get_new_xref()
    doc.update_object(xref, "<<>>")
    # Left uncompressed here: a scan never needs it, and `pdf_bytes` deflates the file once.
    doc.update_stream(xref, "\n".join(stream).encode("ascii"), compress=0)
    # Graphics go under the text: their stream is put first in the page's content array.
    contents = " ".join(f"{x} 0 R" for x in (xref, *page.get_contents()))
    doc.xref_set_key(page.xref, "Contents", f"[{contents}]")


def _header_text(layout: Layout, page: pymupdf.Page, header: Header) -> None:
    left = 8.0 * PT_PER_MM
    for i, line in enumerate(header.lines):
        at = (left, (layout.header_top_mm + 4.5 * i) * PT_PER_MM)
        page.insert_text(at, line, fontsize=_HEADER_PT, fontname="helv", color=(0, 0, 0))
    width = pymupdf.get_text_length(header.settings, fontname="helv", fontsize=_HEADER_PT)
    at = (page.rect.width - left - width, (layout.header_top_mm + 4.5) * PT_PER_MM)
    page.insert_text(at, header.settings, fontsize=_HEADER_PT, fontname="helv", color=(0, 0, 0))


def _separate_pulse(layout: Layout, baseline: float, speed_mm_s: float) -> str:
    """A 1 mV x 0.2 s step left of the row, apart from it (as Schiller and GE draw it)."""
    width, h = 0.2 * speed_mm_s, layout.gain_mm_per_mv
    x1 = layout.x0_mm - 5.0
    x0 = x1 - width - 1.0
    xs = np.array([x0, x0 + 0.5, x0 + 0.5, x1 - 0.5, x1 - 0.5, x1])
    ys = baseline - np.array([0.0, 0.0, h, h, 0.0, 0.0])
    return _polyline(xs, ys)


def render_strip_pdf(layout: StripLayout, signals: Signals, header: Header) -> pymupdf.Document:
    """A vector PDF of a strip printout: every page with strips gets grid, labels, header.

    Pages without strips are report pages (header text only), which readers must skip.
    """
    doc = pymupdf.open()
    paper = layout.paper
    colour = tuple(c / 255 for c in paper.trace_rgb)
    for index in range(layout.pages):
        page = _new_page(doc, paper)
        strips = [s for s in layout.strips if s.page == index]
        _header_text(paper, page, header)
        if not strips:
            continue
        pen = f"{_stroke(paper.trace_rgb, paper.trace_width_mm * _PX)} 1 J 1 j"
        ops = [*_grid_ops(paper), pen]
        for strip in strips:
            baseline = layout.baseline_mm(strip.row)
            first = round(strip.start_s * FS_HZ)
            samples = signals[LEADS.index(strip.lead), first : round(strip.end_s * FS_HZ) + 1]
            x = layout.strip_x_mm(strip)
            height = min(PANEL_H_MM, paper.row_pitch_mm)
            ops.append(_trace(paper, samples, x, baseline, layout.speed_mm_s, height))
            if strip.start_s == 0:
                ops.append(_separate_pulse(paper, baseline, layout.speed_mm_s))
            at = ((x + 1.0) * PT_PER_MM, (baseline - 0.3 * paper.row_pitch_mm) * PT_PER_MM)
            page.insert_text(at, strip.lead, fontsize=_LABEL_PT, fontname="helv", color=colour)
        _put_graphics(doc, page, ops)
    doc.set_metadata({})
    return doc


def render_pdf(layout: Layout, signals: Signals, header: Header) -> pymupdf.Document:
    """A one-page vector PDF of the printout (kept open so a scan can render it directly)."""
    doc = pymupdf.open()
    page = _new_page(doc, layout)
    # Text first, while the page is still empty: each insert_text call re-reads the whole
    # content stream, which would cost ~0.2 s a page once the graphics are in it.
    _text(layout, page, header)
    ops = _paper_ops(layout) + (_grid_ops(layout) if layout.grid_printed else [])
    _put_graphics(doc, page, ops + _marker_ops(layout) + _trace_ops(layout, signals))
    doc.set_metadata({})
    return doc


def pdf_bytes(doc: pymupdf.Document) -> bytes:
    """The PDF file, byte-identical for identical content (no random file ID, no dates)."""
    data: bytes = doc.tobytes(garbage=3, deflate=True, no_new_id=True)
    return data
