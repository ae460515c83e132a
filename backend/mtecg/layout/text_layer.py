"""What a PDF's text layer says about its layout: the paper speed and where the leads are.

A born-digital export carries its own witness: the printed "25 mm/s" and the lead labels. Both
are cheaper and surer than pixels where they exist, and absent from scans.
"""

from __future__ import annotations

import re
from itertools import pairwise

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import COLUMNS_3X4, LEADS, SEGMENT_MM

_PAPER_SPEED = re.compile(r"(\d+(?:[.,]\d+)?)\s*mm\s*/\s*s(?:ec)?\b", re.IGNORECASE)
_GAIN = re.compile(r"(\d+(?:[.,]\d+)?)\s*mm\s*/\s*mV\b", re.IGNORECASE)


def _numbers(pattern: re.Pattern[str], text: str) -> set[float]:
    return {float(m.replace(",", ".")) for m in pattern.findall(text)}


def paper_speeds(text: str) -> set[float]:
    """Paper speeds (mm/s) the page's text states, e.g. {25.0} or {50.0}; empty when none."""
    return _numbers(_PAPER_SPEED, text)


def gains(text: str) -> set[float]:
    """Gains (mm/mV) the page's text states, e.g. {10.0}; empty when none."""
    return _numbers(_GAIN, text)


def check_paper_speed(text: str) -> None:
    speeds = paper_speeds(text)
    if speeds and 25.0 not in speeds:
        shown = ", ".join(f"{s:g} mm/s" for s in sorted(speeds))
        raise Rejection(
            RejectCode.UNSUPPORTED_LAYOUT,
            f"the page is printed at {shown}; only 25 mm/s printouts can be read. "
            "Print or export the ECG at 25 mm/s.",
            Reason.PAPER_SPEED,
        )


Word = tuple[float, float, float, float, str]
# Neighbours in a 3 x 4 printout: the label of the second lead sits one column (62.5 mm) to
# the right of the first's, on the same row.
_ROW_NEIGHBOURS = tuple(
    (left[r], right[r]) for left, right in pairwise(COLUMNS_3X4) for r in range(3)
)


def lead_labels(words: list[Word]) -> dict[str, tuple[float, float, float]]:
    """Each printed lead label's left x, centre x and centre y (its first by reading order)."""
    first: dict[str, tuple[float, float, float]] = {}
    for x0, y0, x1, y1, text in sorted(words, key=lambda w: (w[1], w[0])):
        label = text.strip()
        if label in LEADS and label not in first:
            first[label] = (x0, (x0 + x1) / 2, (y0 + y1) / 2)
    return first


def check_lead_labels(words: list[Word], native_ppmm: float) -> bool:
    """Refuses a PDF whose printed lead labels are not arranged as in a 3 x 4 printout.

    Returns whether the labels confirm a 3 x 4 arrangement (at least two neighbour pairs).

    The text layer is the surest witness of the layout where there is one: six rows of
    continuous strips (I, II, III, aVR, aVL, aVF stacked at one x) look much like a 3 x 4 block
    with three rhythm strips to the pixels, but not to their labels.
    """
    first = {lead: (xc, yc) for lead, (_, xc, yc) in lead_labels(words).items()}
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
                    Reason.LEAD_LABELS_NOT_3X4,
                )
            confirmed += 1
    return confirmed >= 2
