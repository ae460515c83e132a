"""The printed lead labels of a raster 3 x 4 page, read by OCR, as a witness of its layout.

A scan or photo has no text layer, so nothing but the traces' shapes says which lead each
panel holds; a page printed in another arrangement (or a panel fit one column off) would be
scored with leads in the wrong panels. The labels are printed where the 3 x 4 layout puts
each lead's start, top-left of its panel, and they are already in the canonical image the fit
produced (grid removed, 11.81 px/mm). Only those twelve small corners are read, in one
Tesseract run over a sheet of them: a flat page stays fast and the OCR never sees a whole page.

A QRS spike looks like "I" to an OCR, so a roman numeral read where another lead is expected
is no proof; only the lettered labels (aVR ... V6) can contradict the assumed panel. A page
whose labels are not legible is read as before, and says so (`labels_checked: false`).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytesseract

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import CANONICAL_COLUMNS, CANONICAL_PX_PER_MM, LEADS, PANEL_H_PX, PANEL_W_PX
from mtecg.layout.result import RGBImage

# Where a 3 x 4 printer puts a lead's label: from the column boundary to 16 mm
# into the panel, in the upper part of the panel (above the baseline, below the panel top).
_CORNER_W_PX = round(16 * CANONICAL_PX_PER_MM)
_CORNER_H_PX = round(0.55 * PANEL_H_PX)
_GAP_PX = 40
_MAX_GLYPH_PX = round(6 * CANONICAL_PX_PER_MM)
_MIN_CONFIDENCE = 60.0
#: Panels whose own label must be read before the page counts as checked.
_MIN_CONFIRMED = 3
#: Tesseract is a subprocess: it inherits the sandbox worker's address-space and CPU limits,
#: and this bounds its wall time (a stuck OCR must not hold the job until the sandbox's kill).
_OCR_TIMEOUT_S = 10.0
_LETTERED = frozenset(LEADS) - {"I", "II", "III"}
_TESSERACT_CONFIG = f"--psm 11 --dpi 300 -c tessedit_char_whitelist={''.join(sorted(set(''.join(LEADS))))}"


def _glyphs(corner: np.ndarray) -> np.ndarray:
    """The corner's ink as black on white, with everything larger than a glyph removed.

    The trace runs through every corner; an OCR reads its curves as letters. Label glyphs are
    small separate strokes, so components wider or taller than a glyph go (a label the trace
    touches goes with it: it is then not legible, and proves nothing).
    """
    ink = (corner < 160).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = (stats[:, cv2.CC_STAT_WIDTH] <= _MAX_GLYPH_PX) & (
        stats[:, cv2.CC_STAT_HEIGHT] <= _MAX_GLYPH_PX
    )
    keep[0] = False
    return np.where(keep[labels], 0, 255).astype(np.uint8)


def _corner_sheet(canonical: RGBImage) -> tuple[np.ndarray, list[str]]:
    """The twelve label corners stacked top to bottom, binarised, and their leads in order."""
    gray = canonical.min(axis=2)
    leads: list[str] = []
    step = _CORNER_H_PX + _GAP_PX
    sheet = np.full((12 * step + _GAP_PX, _CORNER_W_PX + 2 * _GAP_PX), 255, dtype=np.uint8)
    for col, column in enumerate(CANONICAL_COLUMNS):
        for row, lead in enumerate(column):
            y, x = row * PANEL_H_PX, col * PANEL_W_PX
            corner = gray[y : y + _CORNER_H_PX, x : x + _CORNER_W_PX]
            top = _GAP_PX + len(leads) * step
            sheet[top : top + _CORNER_H_PX, _GAP_PX : _GAP_PX + _CORNER_W_PX] = _glyphs(corner)
            leads.append(lead)
    return sheet, leads


def read_panel_labels(canonical: RGBImage) -> dict[str, set[str]]:
    """The lead names legible in each panel's label corner, keyed by the panel's assumed lead."""
    sheet, leads = _corner_sheet(canonical)
    try:
        data = pytesseract.image_to_data(
            sheet,
            config=_TESSERACT_CONFIG,
            output_type=pytesseract.Output.DICT,
            timeout=_OCR_TIMEOUT_S,
        )
    except (RuntimeError, pytesseract.TesseractError, OSError):
        # Timed out, killed by the worker's limits, or not installed: no witness, no verdict.
        return {}
    step = _CORNER_H_PX + _GAP_PX
    read: dict[str, set[str]] = {}
    for text, conf, top, height in zip(
        data["text"], data["conf"], data["top"], data["height"], strict=True
    ):
        word = str(text).strip()
        if word not in LEADS or float(conf) < _MIN_CONFIDENCE:
            continue
        index = (int(top) + int(height) // 2 - _GAP_PX) // step
        if 0 <= index < len(leads):
            read.setdefault(leads[index], set()).add(word)
    return read


def check_panel_labels(canonical: RGBImage) -> bool:
    """Refuses a raster page whose legible labels contradict its 3 x 4 panels.

    Returns whether the labels were checked: at least three panels show their own label.
    """
    read = read_panel_labels(canonical)
    for lead, words in read.items():
        wrong = sorted(words & _LETTERED - {lead})
        if wrong:
            raise Rejection(
                RejectCode.UNSUPPORTED_LAYOUT,
                f"the label printed where the 3 x 4 layout puts {lead} reads {wrong[0]}: the "
                "leads are not arranged as in a standard 3 x 4 printout. Print or export the "
                "ECG in the standard 3 x 4 layout.",
                Reason.LEAD_LABELS_CONTRADICT,
            )
    return sum(lead in words for lead, words in read.items()) >= _MIN_CONFIRMED
