"""Paper styles: tinted paper, dotted, major-only, dark or absent grids, over any layout.

A style replaces a layout's grid and paper colour and keeps its geometry, so every layout can
be printed on every paper and the true panel boxes stay those of the layout. The styles cover
what clinics' printers use besides the default pink/red grid on white (docs/layout.md, "Paper
styles"): tinted paper, 1 mm dots, 5 mm lines only, no grid at all, and dark grids whose
colour alone cannot tell them from the trace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mtecg.synth.layouts import RGB, Grid, Layout

_RED_FINE, _RED_BOLD = (250, 190, 180), (225, 100, 90)


@dataclass(frozen=True)
class Paper:
    """Paper colour (`tint`, None for white) and the grid printed on it (None: no grid)."""

    tint: RGB | None
    grid: Grid | None


PAPERS: dict[str, Paper] = {
    "tint-blue": Paper((222, 233, 250), Grid(fine=(185, 205, 240), bold=(120, 155, 215))),
    "tint-grey": Paper((228, 228, 228), Grid(fine=(200, 200, 200), bold=(160, 160, 160))),
    "tint-green": Paper((225, 245, 225), Grid(fine=(185, 225, 185), bold=(95, 170, 95))),
    "tint-pink": Paper((252, 228, 232), Grid(fine=(245, 190, 200), bold=(230, 120, 145))),
    "tint-yellow": Paper((252, 246, 212), Grid(fine=_RED_FINE, bold=_RED_BOLD)),
    "dots": Paper(None, Grid(fine=_RED_FINE, bold=_RED_BOLD, fine_dots=True)),
    "major-only": Paper(None, Grid(fine=None, bold=_RED_BOLD)),
    "none": Paper(None, None),
    "dark-navy": Paper(None, Grid(fine=(170, 180, 215), bold=(25, 35, 95))),
    "dark-green": Paper(None, Grid(fine=(170, 205, 175), bold=(10, 75, 35))),
    "dark-grey": Paper(None, Grid(fine=(185, 185, 185), bold=(75, 75, 75))),
}
PAPER_NAMES: tuple[str, ...] = tuple(PAPERS)


def on_paper(layout: Layout, name: str) -> Layout:
    """The layout printed on paper style `name` (same geometry, the style's grid and tint)."""
    if name not in PAPERS:
        raise ValueError(f"unknown paper {name!r}; known: {', '.join(PAPER_NAMES)}")
    paper, own = PAPERS[name], layout.grid
    # The printer's frame and lead-change markers are the printer's, not the paper's.
    grid = (
        own
        if paper.grid is None
        else replace(paper.grid, marker=own.marker, column_markers=own.column_markers)
    )
    return replace(
        layout,
        name=f"{layout.name}+{name}",
        grid=grid,
        grid_printed=paper.grid is not None,
        paper_rgb=paper.tint,
    )
