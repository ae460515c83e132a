"""Printout layouts: where a printer puts the 3 x 4 block, rhythm strips, grid and header.

A layout is plain geometry in millimetres on the page, so one layout can be rendered at any
resolution, and its true panel boxes follow from it at any px/mm. The named layouts mimic real
printers (page size, offsets, grid colours, gain); `jitter` moves a layout's block, row pitch
and colours within what still fits the page, for data sets that must not teach a detector one
fixed position.

Strip layouts (`StripLayout`: 6 x 2, 12 x 1, 6 x 1 over two pages, at 25 or 50 mm/s and 5, 10
or 20 mm/mV) print each lead as one 2.5-10 s strip; `strip_layout(name)` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mtecg.geometry import (
    CANONICAL_COLUMNS,
    CANONICAL_PX_PER_MM,
    COLUMNS_3X4,
    LEADS,
    PANEL_H_MM,
    PANEL_W_MM,
    PAPER_SPEED_MM_S,
    SEGMENT_MM,
    SEGMENT_S,
    STRIP_MM,
)

RGB = tuple[int, int, int]
BoxF = tuple[float, float, float, float]

A4_MM = (297.0, 210.0)
LETTER_MM = (279.4, 215.9)
STANDARD_COLUMN_STARTS_MM = tuple(c * SEGMENT_MM for c in range(4))
HEADER_MM = 30.0  # room the header text needs above the block
CALIBRATION_MM = 6.0  # the 1 mV x 0.2 s pulse and its lead-in, left of the block
MARGIN_MM = 3.0
MIN_PITCH_MM, MAX_PITCH_MM = 25.0, 45.0


def _mm(px: float) -> float:
    """Millimetres of a distance given in 300-dpi page pixels (the published geometry's unit)."""
    return px / CANONICAL_PX_PER_MM


@dataclass(frozen=True)
class Grid:
    """Grid paper: 1 mm lines or dots (`fine`, None for a 5 mm-only grid) and 5 mm lines.

    `marker` is the colour of the block frame and column markers some printers add (the
    Siriraj printer's dark red); None draws column markers in the trace colour, or none.
    """

    fine: RGB | None
    bold: RGB
    fine_dots: bool = False
    marker: RGB | None = None
    column_markers: bool = False


@dataclass(frozen=True)
class Layout:
    """Geometry of one printout, in mm from the page's top-left corner.

    `x0_mm` is where t = 0 of the 3 x 4 block is drawn; column c starts at
    `x0_mm + column_starts_mm[c]` (62.5 mm apart, unless a printer is known to round them
    otherwise) and shows the signal from 2.5 c to 2.5 (c + 1) s. Rows are `row_pitch_mm`
    apart from `baseline0_mm` (the zero-mV line of row 0); rhythm strips (10 s each) follow
    below at the same pitch plus `rhythm_gap_mm`.
    """

    name: str
    page_mm: tuple[float, float]
    x0_mm: float
    baseline0_mm: float
    row_pitch_mm: float
    grid: Grid
    rhythm_leads: tuple[str, ...] = ()
    rhythm_gap_mm: float = 0.0
    gain_mm_per_mv: float = 10.0
    column_starts_mm: tuple[float, ...] = STANDARD_COLUMN_STARTS_MM
    trace_rgb: RGB = (0, 0, 0)
    trace_width_mm: float = 0.25
    grid_top_mm: float = HEADER_MM - 2.0
    header_top_mm: float = 9.0  # baseline of the first header line
    crop_frame_mm: BoxF | None = None  # a printed frame around the block (Siriraj)
    # Real printers show where the 3 x 4 block changes lead, with a marker (`grid.column_markers`)
    # or by lifting the pen: each column's trace then stops this many mm before the next.
    lead_change_gap_mm: float = 0.0
    # Paper styles (`synth/paper.py`): a tinted sheet, and pages printed without any grid.
    paper_rgb: RGB | None = None
    grid_printed: bool = True

    def row_baselines_mm(self) -> tuple[float, ...]:
        """Zero-mV lines of the three 3 x 4 rows."""
        return tuple(self.baseline0_mm + r * self.row_pitch_mm for r in range(3))

    def rhythm_baselines_mm(self) -> tuple[float, ...]:
        """Zero-mV lines of the rhythm strips below the block."""
        first = self.baseline0_mm + 3 * self.row_pitch_mm + self.rhythm_gap_mm
        return tuple(first + k * self.row_pitch_mm for k in range(len(self.rhythm_leads)))

    def column_x_mm(self, column: int) -> float:
        """x where column `column` of the block starts (its signal's first sample)."""
        return self.x0_mm + self.column_starts_mm[column]

    def panel_boxes(self, px_per_mm: float) -> list[dict[str, object]]:
        """The true panel of each lead at `px_per_mm`: {"lead", "box": [x0, y0, x1, y1]}.

        A panel is PANEL_W_MM wide from its column start and PANEL_H_MM tall centred on its
        row's baseline, the geometry the canonical image is cut with. Rounded to whole pixels.
        """
        panels: list[dict[str, object]] = []
        for c, leads in enumerate(COLUMNS_3X4):
            x0 = self.column_x_mm(c) * px_per_mm
            for lead, baseline in zip(leads, self.row_baselines_mm(), strict=True):
                yc = baseline * px_per_mm
                box = (
                    x0,
                    yc - PANEL_H_MM / 2 * px_per_mm,
                    x0 + PANEL_W_MM * px_per_mm,
                    yc + PANEL_H_MM / 2 * px_per_mm,
                )
                panels.append({"lead": lead, "box": [round(v) for v in box]})
        return panels

    def fits_page(self) -> bool:
        """Whether calibration pulses, rows and rhythm strips all lie on the page."""
        w, h = self.page_mm
        last = (self.row_baselines_mm() + self.rhythm_baselines_mm())[-1]
        right = self.x0_mm + max(self.column_starts_mm) + SEGMENT_MM
        return (
            self.x0_mm - CALIBRATION_MM >= 0
            and right <= w
            and self.x0_mm + STRIP_MM <= w
            and self.baseline0_mm - PANEL_H_MM / 2 >= self.grid_top_mm
            and last + PANEL_H_MM / 2 <= h
        )


# The Siriraj "new format" (docs/domain.md §2), in 300-dpi page pixels: page 3508 x 2480, block
# crop (82, 950, 3000, 2000), 350 px rows, published column starts (not exactly 62.5 mm apart).
_SIRIRAJ_COLUMNS_PX = (0, 740, 1478, 2217)
SIRIRAJ_GRID = Layout(
    name="siriraj-grid",
    page_mm=(_mm(3508), _mm(2480)),
    x0_mm=_mm(82),
    baseline0_mm=_mm(950 + 175),
    row_pitch_mm=_mm(350),
    grid=Grid(fine=(250, 200, 168), bold=(216, 111, 98), marker=(168, 0, 0)),
    rhythm_leads=("II",),
    rhythm_gap_mm=_mm(25),
    column_starts_mm=tuple(_mm(x) for x in _SIRIRAJ_COLUMNS_PX),
    grid_top_mm=_mm(930),
    header_top_mm=45.0,
    crop_frame_mm=(_mm(82), _mm(950), _mm(3000), _mm(2000)),
    lead_change_gap_mm=1.0,
)

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        SIRIRAJ_GRID,
        Layout(
            name="letter-3x4-1r",
            page_mm=LETTER_MM,
            x0_mm=14.0,
            baseline0_mm=62.0,
            row_pitch_mm=38.0,
            grid=Grid(fine=(255, 200, 150), bold=(255, 128, 0), column_markers=True),
            rhythm_leads=("II",),
        ),
        Layout(
            name="a4-3x4-3r",
            page_mm=A4_MM,
            x0_mm=22.0,
            baseline0_mm=58.0,
            row_pitch_mm=26.0,
            grid=Grid(fine=(255, 205, 215), bold=(240, 130, 160), column_markers=True),
            rhythm_leads=("V1", "II", "V5"),
        ),
        Layout(
            name="a4-3x4-0r",
            page_mm=A4_MM,
            x0_mm=30.0,
            baseline0_mm=75.0,
            row_pitch_mm=42.0,
            grid=Grid(fine=(235, 160, 235), bold=(205, 70, 190), fine_dots=True),
            lead_change_gap_mm=1.2,
        ),
        Layout(
            name="a4-green-2r-5mm",
            page_mm=A4_MM,
            x0_mm=18.0,
            baseline0_mm=62.0,
            row_pitch_mm=30.0,
            grid=Grid(fine=(190, 230, 190), bold=(90, 170, 90), column_markers=True),
            rhythm_leads=("II", "V5"),
            rhythm_gap_mm=3.0,
            gain_mm_per_mv=5.0,
        ),
        Layout(
            name="letter-grey-1r-20mm",
            page_mm=LETTER_MM,
            x0_mm=16.0,
            baseline0_mm=70.0,
            row_pitch_mm=35.0,
            grid=Grid(fine=(205, 205, 205), bold=(165, 165, 165), fine_dots=True),
            rhythm_leads=("II",),
            rhythm_gap_mm=3.0,
            gain_mm_per_mv=20.0,
            trace_rgb=(0, 0, 70),
            lead_change_gap_mm=1.0,
        ),
        Layout(
            name="a4-coarse-1r",
            page_mm=A4_MM,
            x0_mm=25.0,
            baseline0_mm=66.0,
            row_pitch_mm=34.0,
            grid=Grid(fine=None, bold=(212, 61, 26), column_markers=True),
            rhythm_leads=("II",),
            trace_width_mm=0.3,
        ),
    )
}
FIXED_LAYOUTS = frozenset({SIRIRAJ_GRID.name})  # fixed hospital formats: never jittered


def _jitter_colour(colour: RGB, rng: np.random.Generator) -> RGB:
    r, g, b = (int(np.clip(c + rng.integers(-12, 13), 0, 255)) for c in colour)
    return (r, g, b)


def jitter(layout: Layout, rng: np.random.Generator) -> Layout:
    """The layout with its block moved, row pitch changed (25-45 mm) and colours varied.

    Fixed hospital formats are returned unchanged: their point is the exact geometry.
    """
    if layout.name in FIXED_LAYOUTS:
        return layout
    w, h = layout.page_mm
    rows = 3 + len(layout.rhythm_leads)
    gaps = layout.rhythm_gap_mm if layout.rhythm_leads else 0.0
    top = HEADER_MM + PANEL_H_MM / 2
    bottom = h - MARGIN_MM - PANEL_H_MM / 2
    max_pitch = min(MAX_PITCH_MM, (bottom - top - gaps) / (rows - 1))
    pitch = rng.uniform(MIN_PITCH_MM, max(MIN_PITCH_MM, max_pitch))
    baseline0 = rng.uniform(top, max(top, bottom - gaps - (rows - 1) * pitch))
    x0 = rng.uniform(CALIBRATION_MM + 2.0, w - STRIP_MM - MARGIN_MM)
    grid = layout.grid
    grid = replace(
        grid,
        fine=None if grid.fine is None else _jitter_colour(grid.fine, rng),
        bold=_jitter_colour(grid.bold, rng),
        fine_dots=grid.fine_dots if rng.random() < 0.7 else not grid.fine_dots,
        column_markers=bool(rng.random() < 0.5),
    )
    trace_rgb: RGB = (0, 0, 0) if rng.random() < 0.75 else (0, 0, int(rng.integers(40, 110)))
    jittered = replace(
        layout,
        x0_mm=x0,
        baseline0_mm=baseline0,
        row_pitch_mm=pitch,
        grid=grid,
        trace_rgb=trace_rgb,
        trace_width_mm=rng.uniform(0.18, 0.35),
        lead_change_gap_mm=0.0 if grid.column_markers else float(rng.uniform(0.8, 1.5)),
    )
    assert jittered.fits_page()
    return jittered


@dataclass(frozen=True)
class Strip:
    """One lead printed as a strip: PDF page (0-based), row on that page, time range (s)."""

    lead: str
    page: int
    row: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class StripLayout:
    """A printout whose leads are strips (6 x 2, 12 x 1, 6 x 1 over pages), any speed and gain.

    `paper` holds the page, grid, colours, x of t = 0 (`x0_mm`), first baseline, row pitch and
    gain; every row starts at t = 0. `pages` counts the PDF's pages, report pages included
    (pages no strip is on carry text only).
    """

    paper: Layout
    strips: tuple[Strip, ...]
    pages: int
    speed_mm_s: float = PAPER_SPEED_MM_S

    @property
    def name(self) -> str:
        return self.paper.name

    def baseline_mm(self, row: int) -> float:
        return self.paper.baseline0_mm + row * self.paper.row_pitch_mm

    def strip_x_mm(self, strip: Strip) -> float:
        return self.paper.x0_mm + strip.start_s * self.speed_mm_s

    def panel_boxes(self, px_per_mm: float) -> list[dict[str, object]]:
        """The panel the canonical image takes for each lead, as `Layout.panel_boxes` does.

        Each lead's 3 x 4 window (or the nearest window its strip shows), PANEL_W_MM of paper
        at 25 mm/s stretched by the speed, PANEL_H_MM at 10 mm/mV stretched by the gain; with
        its 1-based `page`, `start_s` and whether the window is the 3 x 4 one (`exact`).
        """
        window_s = PANEL_W_MM / PAPER_SPEED_MM_S
        gain = self.paper.gain_mm_per_mv / STANDARD_GAIN_MM_MV
        panels: list[dict[str, object]] = []
        for lead in LEADS:
            strip = next(s for s in self.strips if s.lead == lead)
            wanted = next(c for c, leads in enumerate(COLUMNS_3X4) if lead in leads) * SEGMENT_S
            start = min(max(wanted, strip.start_s), strip.end_s - window_s)
            x0 = self.paper.x0_mm + start * self.speed_mm_s
            yc = self.baseline_mm(strip.row)
            box = (
                x0,
                yc - PANEL_H_MM / 2 * gain,
                x0 + PANEL_W_MM * self.speed_mm_s / PAPER_SPEED_MM_S,
                yc + PANEL_H_MM / 2 * gain,
            )
            panels.append(
                {
                    "lead": lead,
                    "box": [round(v * px_per_mm) for v in box],
                    "page": strip.page + 1,
                    "start_s": round(start, 2),
                    "exact": abs(start - wanted) < 0.05,
                }
            )
        return panels


STANDARD_GAIN_MM_MV = 10.0
_LIMB, _CHEST = CANONICAL_COLUMNS
STRIP_BASES = ("6x2", "12x1", "6x1-2page")
STRIP_SPEEDS = {"": PAPER_SPEED_MM_S, "-50mms": 50.0}
STRIP_GAINS = {"": 10.0, "-5mm": 5.0, "-20mm": 20.0}


def _strips(base: str, row_s: float) -> tuple[tuple[Strip, ...], int]:
    """The strips of a base arrangement and the PDF's page count."""
    if base == "6x2":
        half = row_s / 2
        pairs = zip(_LIMB, _CHEST, strict=True)
        return tuple(
            s
            for r, (limb, chest) in enumerate(pairs)
            for s in (Strip(limb, 0, r, 0.0, half), Strip(chest, 0, r, half, row_s))
        ), 1
    if base == "12x1":
        return tuple(Strip(lead, 0, r, 0.0, row_s) for r, lead in enumerate(LEADS_12X1)), 1
    # Schiller / CardioSoft: a report page first, limb leads on the next, chest on the third.
    limbs = tuple(Strip(lead, 1, r, 0.0, row_s) for r, lead in enumerate(_LIMB))
    return limbs + tuple(Strip(lead, 2, r, 0.0, row_s) for r, lead in enumerate(_CHEST)), 3


LEADS_12X1 = (*_LIMB, *_CHEST)


def strip_layout(name: str) -> StripLayout:
    """The strip layout a name such as `6x2`, `12x1-50mms` or `6x1-2page-50mms-20mm` means.

    12 x 1 rows are 14.5 mm apart, so their traces are clipped to that pitch (as printers
    with channel clipping do); 20 mm/mV is not offered for them.
    """
    for base in STRIP_BASES:
        for speed_tag, speed in STRIP_SPEEDS.items():
            for gain_tag, gain in STRIP_GAINS.items():
                if name != base + speed_tag + gain_tag or (base == "12x1" and gain > 10):
                    continue
                strips, pages = _strips(base, STRIP_MM / speed)
                rows = 1 + max(s.row for s in strips)
                pitch = (A4_MM[1] - HEADER_MM - MARGIN_MM - 8.0) / rows
                paper = Layout(
                    name=name,
                    page_mm=A4_MM,
                    x0_mm=26.0,
                    baseline0_mm=HEADER_MM + 4.0 + pitch / 2,
                    row_pitch_mm=pitch,
                    grid=Grid(fine=(255, 205, 215), bold=(240, 130, 160)),
                    gain_mm_per_mv=gain,
                )
                return StripLayout(paper, strips, pages, speed)
    raise KeyError(name)


STRIP_LAYOUT_NAMES = tuple(
    base + s + g
    for base in STRIP_BASES
    for s in STRIP_SPEEDS
    for g in STRIP_GAINS
    if not (base == "12x1" and STRIP_GAINS[g] > 10)
)
