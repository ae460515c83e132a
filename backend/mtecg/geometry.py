"""The canonical geometry every layout is mapped to, and standard ECG printout facts.

Shared by ingest (render resolution), layout (panel geometry) and synth (printouts).

The published model was trained on Siriraj "new format" pages rendered at 300 dpi: twelve
panels of 350 x 701 px cut on a 3 x 4 grid and stacked 6 x 2. Whatever printer produced an
upload, the auto-detected layout is resampled to exactly this geometry so the same network
sees the same scale (11.81 px/mm) and the same panel extent (59.4 mm x 29.6 mm).
"""

from __future__ import annotations

from typing import Final

RENDER_DPI: Final = 300
MM_PER_INCH: Final = 25.4
CANONICAL_PX_PER_MM: Final = RENDER_DPI / MM_PER_INCH  # 11.811...

PANEL_W_PX: Final = 701
PANEL_H_PX: Final = 350
PANEL_W_MM: Final = PANEL_W_PX / CANONICAL_PX_PER_MM  # 59.35 mm of the 62.5 mm segment
PANEL_H_MM: Final = PANEL_H_PX / CANONICAL_PX_PER_MM  # 29.63 mm, centred on the baseline

PAPER_SPEED_MM_S: Final = 25.0
SEGMENT_S: Final = 2.5
SEGMENT_MM: Final = PAPER_SPEED_MM_S * SEGMENT_S  # 62.5 mm per panel column
STRIP_MM: Final = 4 * SEGMENT_MM  # 250 mm: a 10 s row

# Columns of a standard 3 x 4 printout, each listed top to bottom.
COLUMNS_3X4: Final = (
    ("I", "II", "III"),
    ("aVR", "aVL", "aVF"),
    ("V1", "V2", "V3"),
    ("V4", "V5", "V6"),
)
LEADS: Final = tuple(lead for column in COLUMNS_3X4 for lead in column)
# Canonical 6 x 2 stack: limb leads on the left, chest leads on the right.
CANONICAL_COLUMNS: Final = (LEADS[:6], LEADS[6:])
CANONICAL_W_PX: Final = 2 * PANEL_W_PX  # 1402
CANONICAL_H_PX: Final = 6 * PANEL_H_PX  # 2100
