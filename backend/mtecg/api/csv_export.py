"""The screenings CSV, made for Thai Excel: UTF-8 with BOM, Thai headers, local times.

Excel guesses a CSV's encoding from its first bytes: without the byte-order mark it reads
UTF-8 Thai as mojibake. Times are given in the hospital's time zone (`MTECG_TIMEZONE`) with
their UTC offset, so a row means the same instant wherever the file is opened.

The decision and band wording is the web app's (frontend/src/i18n/th.ts, keys
`result.aboveThreshold`, `result.belowThreshold`, `band.*`); tests/api check that they match.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Final
from zoneinfo import ZoneInfo

from mtecg.db.models import Screening

BOM: Final = "\ufeff"
ABOVE_THRESHOLD: Final = "สูงกว่าจุดตัดของโมเดล"
BELOW_THRESHOLD: Final = "ต่ำกว่าจุดตัดของโมเดล"
BANDS: Final = {"low": "ความเสี่ยงต่ำ", "moderate": "ความเสี่ยงปานกลาง", "high": "ความเสี่ยงสูง"}
_TASKS: Final = {"scar": "แผลเป็นที่กล้ามเนื้อหัวใจ", "lvef": "LVEF < 50 %"}
HEADERS: Final = (
    "เลขที่การคัดกรอง",
    "วันเวลา",
    "ผู้ตรวจ",
    "HN",
    "รหัสผู้ป่วย (แฮช)",
    *(
        f"{label}: {what}"
        for label in _TASKS.values()
        for what in ("ผลคัดกรอง", "ความน่าจะเป็น", "จุดตัดของโมเดล", "ระดับความเสี่ยง")
    ),
    "โมเดล",
    "รุ่นโมเดล",
)


def _task_cells(row: Screening, name: str) -> tuple[str, str, str, str]:
    task = row.outputs[name]
    decision = ABOVE_THRESHOLD if task["prediction"] else BELOW_THRESHOLD
    return (
        decision,
        f"{task['probability']:.6f}",
        f"{task['threshold']:.6f}",
        BANDS.get(task["risk_band"], task["risk_band"]),
    )


def render(rows: Iterable[tuple[Screening, str, str | None]], zone: ZoneInfo) -> str:
    """`rows`: (screening, username, clear HN or None for another organisation's row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row, username, clear_ref in rows:
        writer.writerow(
            (
                row.id,
                row.created_at.astimezone(zone).isoformat(timespec="seconds"),
                username,
                clear_ref or "",
                row.patient_ref_hmac[:12] if row.patient_ref_hmac else "",
                *_task_cells(row, "scar"),
                *_task_cells(row, "lvef"),
                row.model_id,
                row.model_version,
            )
        )
    return BOM + out.getvalue()
