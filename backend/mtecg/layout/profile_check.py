"""Proof that a page has a fixed profile's geometry before its fixed boxes are trusted.

A named profile cuts the page at fixed pixel boxes and labels them I, II, III... without
looking. On any other printer's page those boxes hold other leads, half a row or the margin,
and the model would still answer confidently. So before a profile is applied, the page is read
the independent way (automatic 3 x 4 detection: scale from the grid, trace rows, lead changes
at the 2.5 s boundaries, the PDF's lead labels) and the result must agree with the profile:

- the page has the profile's size at 300 dpi and the detected scale is 300 dpi (11.81 px/mm);
- one trace row is centred in each of the profile's panel rows;
- the lead changes fall at the profile's column boundaries;
- no grid is left in the model's image: the grid profile's published colours are painted
  white, the old format has none;
- a PDF's printed lead labels lie in the profile's panel of that lead.

Anything else is `profile_mismatch`, whose message points to automatic detection.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import CANONICAL_PX_PER_MM, LEADS, PANEL_H_PX
from mtecg.ingest.page import PageSource
from mtecg.layout.detect import detect_layout
from mtecg.layout.ink import TRACE_BINARY, ink_maps
from mtecg.layout.result import Box, LayoutResult

# The published printer's page: A4 landscape rendered at 300 dpi.
PAGE_PX: Final = (3508, 2480)
_PAGE_TOLERANCE: Final = 0.01  # 1 %: a PDF's page box rounds to a pixel or two
_SCALE_TOLERANCE: Final = 0.02
_MAX_ROTATION_DEG: Final = 0.3
# How far (in mm) a detected row centre or column start may lie from the profile's.
_ROW_TOLERANCE_MM: Final = 4.0
_COLUMN_TOLERANCE_MM: Final = 3.0
# Share of the crop still printed but not trace after the grid colours are removed; a
# Siriraj page keeps only anti-aliased grid edges, another printer's grid stays whole.
_MAX_GRID_LEFT: Final = 0.02
Boxes = dict[str, Box] | None
_ADVICE: Final = "Choose automatic layout detection (auto) instead."


def _mismatch(name: str, what: str, reason: Reason) -> Rejection:
    return Rejection(
        RejectCode.PROFILE_MISMATCH,
        f"this page does not have the {name} geometry: {what}. {_ADVICE}",
        reason,
    )


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def check_page_size(name: str, source: PageSource) -> None:
    """The profile's boxes are in pixels of a 3508 x 2480 page: any other size is another page."""
    width, height = PAGE_PX
    if (
        abs(source.width - width) > _PAGE_TOLERANCE * width
        or abs(source.height - height) > _PAGE_TOLERANCE * height
    ):
        raise _mismatch(
            name,
            f"the page is {source.width} x {source.height} px, the profile needs an A4 "
            f"landscape page at 300 dpi ({width} x {height} px)",
            Reason.PROFILE_PAGE_SIZE,
        )


def check_detected_geometry(name: str, detected: LayoutResult, crop: Box, boxes: Boxes) -> None:
    """The independently detected block sits where the profile's boxes are.

    `boxes` is the profile's published panel of each lead; a profile without a published panel
    map (the old grid-less format) passes None, and then every detected panel must lie inside
    its crop.
    """
    ppmm = CANONICAL_PX_PER_MM
    if (
        abs(detected.px_per_mm - ppmm) > _SCALE_TOLERANCE * ppmm
        or abs(detected.rotation_deg) > _MAX_ROTATION_DEG
    ):
        raise _mismatch(
            name,
            f"its scale is {detected.px_per_mm:.2f} px/mm (rotated {detected.rotation_deg:g} "
            f"degrees), the profile needs {ppmm:.2f} px/mm, straight",
            Reason.PROFILE_SCALE,
        )
    for panel in detected.panels:
        fx, fy = _centre(panel.box)
        if boxes is None:
            if not (crop[0] <= fx <= crop[2] and crop[1] <= fy <= crop[3]):
                raise _mismatch(
                    name, f"lead {panel.lead} lies outside the profile's crop", Reason.PROFILE_ROWS
                )
            continue
        _check_panel_position(name, panel.lead, (fx, fy), _centre(boxes[panel.lead]))


#: Per axis of a panel's centre (x, y): how far it may lie from the profile's panel, what that
#: offset means on the page, and the reason a larger one is given.
_POSITION_CHECKS: Final = (
    (
        1,
        _ROW_TOLERANCE_MM,
        "the trace row of lead {lead} is {mm:.0f} mm from the profile's panel row",
        Reason.PROFILE_ROWS,
    ),
    (
        0,
        _COLUMN_TOLERANCE_MM,
        "the lead changes are {mm:.0f} mm from the profile's column boundaries (lead {lead})",
        Reason.PROFILE_COLUMNS,
    ),
)


def _check_panel_position(
    name: str, lead: str, found: tuple[float, float], expected: tuple[float, float]
) -> None:
    """A detected panel's row, then its column, lies where the profile's panel of that lead is."""
    ppmm = CANONICAL_PX_PER_MM
    for axis, tolerance_mm, what, reason in _POSITION_CHECKS:
        offset = abs(found[axis] - expected[axis])
        if offset > tolerance_mm * ppmm:
            raise _mismatch(name, what.format(lead=lead, mm=offset / ppmm), reason)


def check_labels(name: str, source: PageSource, crop: Box, boxes: Boxes) -> None:
    """A PDF's printed lead labels, where it has them, lie in the profile's panel of that lead.

    Labels are printed at the start of their panel, often just above its trace, so a panel is
    widened by half a panel height each way before the test. Without a panel map, a label
    must lie in the crop.
    """
    seen: set[str] = set()
    for x0, y0, x1, y1, text in sorted(source.words(), key=lambda w: (w[1], w[0])):
        label = text.strip()
        if label not in LEADS or label in seen:
            continue
        seen.add(label)
        bx0, by0, bx1, by1 = crop if boxes is None else boxes[label]
        margin = PANEL_H_PX / 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if not (bx0 - margin <= cx <= bx1 + margin and by0 - margin <= cy <= by1 + margin):
            raise _mismatch(
                name,
                f"the printed label {label} is not in the profile's panel for {label}",
                Reason.PROFILE_LABELS,
            )


def check_grid_removed(name: str, cleaned: np.ndarray) -> None:
    """No grid may be left in the model's image: the grid profile paints its published colours
    white first; the old format is printed without a grid, so any grid there is another
    printer's paper."""
    maps = ink_maps(cleaned[::2, ::2])
    left = float(((maps.printed > 0.25) & (maps.trace < TRACE_BINARY)).mean())
    if left > _MAX_GRID_LEFT:
        raise _mismatch(
            name,
            f"{left:.0%} of the ECG area is a grid that the profile does not remove (another "
            "printer's paper)",
            Reason.PROFILE_GRID_LEFT,
        )


def verify_geometry(name: str, source: PageSource, crop: Box, boxes: Boxes) -> None:
    """Refuses with `profile_mismatch` unless the page is proven to have the profile's layout.

    The grid check is the caller's (`check_grid_removed`), on the crop it renders anyway.
    """
    check_page_size(name, source)
    if source.native_dpi is not None:
        check_labels(name, source, crop, boxes)
    try:
        detected = detect_layout(source)
    except Rejection as rejection:
        raise _mismatch(
            name,
            f"its 3 x 4 block could not be confirmed ({rejection.message.rstrip('.')})",
            Reason.PROFILE_NOT_READABLE,
        ) from rejection
    check_detected_geometry(name, detected, crop, boxes)
