"""The results table: one row per input file, the same columns whichever engine wrote it.

One home for the column list: the journal writes its part files with `SCHEMA`, the final
merge casts to it, and both engines build rows with `empty_row`.
"""

from __future__ import annotations

from typing import Any, Final

import pyarrow as pa

from mtecg.api.layout_record import RECTIFICATION_FIELDS, rectification_column
from mtecg.api.schemas import SCREENING_AID  # said by every result, and so by every row
from mtecg.tasks import TASKS

STATUS_OK: Final = "ok"  # screened
STATUS_REFUSED: Final = "refused"  # the file is not a readable 12-lead ECG (see `code`)
STATUS_FAILED: Final = "failed"  # the file could not be read from disk (see `reason`)
READ_ERROR: Final = "read_error"  # the code of a failed row

_TASK_FIELDS: Final = (
    ("probability", pa.float64()),
    ("prediction", pa.bool_()),
    ("threshold", pa.float64()),
    ("band", pa.string()),
)
TIMINGS: Final = ("read_ms", "ingest_ms", "layout_ms", "predict_ms", "explain_ms", "total_ms")
MAP_COLUMNS: Final = ("canonical_png", *(f"{task}_png" for task in TASKS))

SCHEMA: Final = pa.schema(
    [
        ("path", pa.string()),
        ("sha256", pa.string()),
        ("status", pa.string()),
        ("code", pa.string()),
        ("reason", pa.string()),
        *((f"{task}_{name}", kind) for task in TASKS for name, kind in _TASK_FIELDS),
        ("input_type", pa.string()),
        ("page", pa.int32()),
        ("profile", pa.string()),
        ("px_per_mm", pa.float64()),
        ("rotation_deg", pa.float64()),
        ("rhythm_strips", pa.int32()),
        ("layout_name", pa.string()),
        ("time_windows", pa.string()),
        ("paper_speed_mm_s", pa.float64()),
        ("gain_mm_mv", pa.float64()),
        ("pages", pa.string()),  # the 1-based PDF pages read, "2,3" (see api/layout_record.py)
        ("labels_checked", pa.bool_()),
        *((rectification_column(name), pa.float64()) for name in RECTIFICATION_FIELDS),
        ("model_id", pa.string()),
        ("model_version", pa.string()),
        ("model_sha256", pa.string()),
        ("model_synthetic", pa.bool_()),
        *((name, pa.float64()) for name in TIMINGS),
        *((name, pa.string()) for name in MAP_COLUMNS),
        ("screening_id", pa.string()),
        ("imported_at", pa.timestamp("us", tz="UTC")),
        ("screening_aid", pa.string()),
    ],
    metadata={"screening_aid": SCREENING_AID},
)
COLUMNS: Final = tuple(SCHEMA.names)


def empty_row(path: str) -> dict[str, Any]:
    """A row with every column present and unset but the path and the screening-aid note."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row["path"] = path
    row["screening_aid"] = SCREENING_AID
    return row


def to_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)
