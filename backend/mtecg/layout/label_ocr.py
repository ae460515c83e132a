"""The printed lead labels of a raster 3 x 4 page, read by OCR, as a witness of its layout.

A scan or photo has no text layer, so nothing but the traces' shapes says which lead each
panel holds; a page printed in another arrangement (or a panel fit one column off) would be
scored with leads in the wrong panels. The labels are printed where the 3 x 4 layout puts
each lead's start, top-left of its panel, and they are already in the canonical image the fit
produced (grid removed, 11.81 px/mm). Only those twelve small corners, and the same corners
at the 2.5 s boundaries of rhythm strips (where a 3 x 4 printout has no label, but a 6 x 2 one
read as 3 x 4 has its lower leads' labels), are read, in one Tesseract run over a sheet of
them: a flat page stays fast and the OCR never sees a whole page.

A QRS spike looks like "I" to an OCR, so a roman numeral read where another lead is expected
is no proof; only the lettered labels (aVR ... V6) can contradict the assumed panel. A page
whose labels are not legible is read as before, and says so (`labels_checked: false`).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import (
    CANONICAL_COLUMNS,
    CANONICAL_PX_PER_MM,
    LEADS,
    PANEL_H_MM,
    PANEL_H_PX,
    PANEL_W_PX,
)
from mtecg.layout.result import RGBImage

# Where a 3 x 4 printer puts a lead's label: from the column boundary to 16 mm into the
# panel, in the upper part of the panel (above the baseline, below the panel top).
CORNER_W_MM = 16.0
CORNER_H_MM = 0.55 * PANEL_H_MM
GLYPH_INK = 160  # grey level below which a corner pixel is ink
_GAP_PX = 40
_MAX_GLYPH_PX = round(6 * CANONICAL_PX_PER_MM)
_MIN_CONFIDENCE = 60.0
#: Panels whose own label must be read before the page counts as checked.
_MIN_CONFIRMED = 3
#: Tesseract is a subprocess: it inherits the sandbox worker's address-space and CPU limits,
#: and this bounds its wall time (a stuck OCR must not hold the job until the sandbox's kill).
OCR_TIMEOUT_S = 10.0
LETTERED = frozenset(LEADS) - {"I", "II", "III"}
_TESSERACT_CONFIG = (
    f"--psm 11 --dpi 300 -c tessedit_char_whitelist={''.join(sorted(set(''.join(LEADS))))}"
)

#: A label corner at 11.81 px/mm, grid removed, and the lead the 3 x 4 layout puts there
#: (None: no label belongs there, e.g. the middle of a rhythm strip).
Corner = tuple[str | None, RGBImage]


def panel_corners(canonical: RGBImage) -> list[Corner]:
    """The twelve panels' label corners, cut from the canonical image the fit produced."""
    w, h = round(CORNER_W_MM * CANONICAL_PX_PER_MM), round(CORNER_H_MM * CANONICAL_PX_PER_MM)
    corners: list[Corner] = []
    for col, column in enumerate(CANONICAL_COLUMNS):
        for row, lead in enumerate(column):
            y, x = row * PANEL_H_PX, col * PANEL_W_PX
            corners.append((lead, canonical[y : y + h, x : x + w]))
    return corners


def glyphs(corner: RGBImage) -> npt.NDArray[np.uint8]:
    """The corner's ink as black on white, with everything larger than a glyph removed.

    The trace runs through every corner; an OCR reads its curves as letters. Label glyphs are
    small separate strokes, so components wider or taller than a glyph go (a label the trace
    touches goes with it: it is then not legible, and proves nothing).
    """
    ink = (corner.min(axis=2) < GLYPH_INK).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = (stats[:, cv2.CC_STAT_WIDTH] <= _MAX_GLYPH_PX) & (
        stats[:, cv2.CC_STAT_HEIGHT] <= _MAX_GLYPH_PX
    )
    keep[0] = False
    return np.where(keep[labels], 0, 255).astype(np.uint8)


def _sheet(corners: list[Corner]) -> tuple[npt.NDArray[np.uint8], int]:
    """The corners' glyphs stacked top to bottom with white between, and the row step."""
    h = max(c.shape[0] for _, c in corners)
    w = max(c.shape[1] for _, c in corners)
    step = h + _GAP_PX
    sheet = np.full((len(corners) * step + _GAP_PX, w + 2 * _GAP_PX), 255, dtype=np.uint8)
    for i, (_, corner) in enumerate(corners):
        top = _GAP_PX + i * step
        sheet[top : top + corner.shape[0], _GAP_PX : _GAP_PX + corner.shape[1]] = glyphs(corner)
    return sheet, step


def read_labels(corners: list[Corner]) -> list[set[str]]:
    """The lead names legible in each corner (one OCR run over all of them)."""
    # Here, not at the top: pytesseract imports pandas (over a second of CPU), which the
    # server, importing `mtecg.layout` for its result types, never needs; the sandbox worker
    # template imports it before forking (`mtecg.ingest.worker.load_libraries`).
    import pytesseract

    sheet, step = _sheet(corners)
    read: list[set[str]] = [set() for _ in corners]
    try:
        data = pytesseract.image_to_data(
            sheet,
            config=_TESSERACT_CONFIG,
            output_type=pytesseract.Output.DICT,
            timeout=OCR_TIMEOUT_S,
        )
    except (RuntimeError, pytesseract.TesseractError, OSError):
        # Timed out, killed by the worker's limits, or not installed: no witness, no verdict.
        return read
    for text, conf, top, height in zip(
        data["text"], data["conf"], data["top"], data["height"], strict=True
    ):
        word = str(text).strip()
        index = (int(top) + int(height) // 2 - _GAP_PX) // step
        if word in LEADS and float(conf) >= _MIN_CONFIDENCE and 0 <= index < len(corners):
            read[index].add(word)
    return read


def check_labels(corners: list[Corner], proof: frozenset[str] = frozenset()) -> bool:
    """Refuses a raster page whose legible labels contradict its 3 x 4 panels.

    Returns whether the labels were checked: at least three panels show their own label, and
    one of `proof` (the leads only a 3 x 4 printout prints where they are) among them.
    """
    confirmed = 0
    proven = not proof
    for (lead, _), words in zip(corners, read_labels(corners), strict=True):
        wrong = sorted(words & LETTERED - {lead})
        if wrong:
            where = f"where the 3 x 4 layout puts {lead}" if lead else "inside a rhythm strip"
            raise Rejection(
                RejectCode.UNSUPPORTED_LAYOUT,
                f"the label printed {where} reads {wrong[0]}: the leads are not arranged as "
                "in a standard 3 x 4 printout. Print or export the ECG in the standard 3 x 4 "
                "layout.",
                Reason.LEAD_LABELS_CONTRADICT,
            )
        confirmed += lead in words
        proven = proven or (lead in proof and lead in words)
    return confirmed >= _MIN_CONFIRMED and proven
