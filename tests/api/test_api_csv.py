"""The CSV export's format: what Thai Excel needs (BOM, Thai headers) and local times with
their offset in the configured hospital time zone."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from mtecg.api import csv_export
from mtecg.db.models import Screening
from mtecg.settings import Settings


def _row(prediction: bool) -> Screening:
    task = {
        "probability": 0.62,
        "threshold": 0.5,
        "prediction": prediction,
        "risk_band": "moderate",
    }
    return Screening(
        id=uuid.UUID(int=7),
        created_at=datetime(2026, 12, 1, 17, 30, 5, tzinfo=UTC),
        patient_ref_hmac="ab" * 32,
        outputs={"scar": task, "lvef": {**task, "prediction": not prediction}},
        model_id="demo",
        model_version="1",
    )


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Bangkok", "2026-12-02T00:30:05+07:00"),
        ("Europe/London", "2026-12-01T17:30:05+00:00"),
        ("America/New_York", "2026-12-01T12:30:05-05:00"),
    ],
)
def test_times_are_local_with_their_offset(zone: str, shown: str) -> None:
    text = csv_export.render([(_row(True), "somchai", "HN-1")], ZoneInfo(zone))
    assert text.startswith(csv_export.BOM)
    (record,) = csv.DictReader(io.StringIO(text.removeprefix(csv_export.BOM)))
    assert record["วันเวลา"] == shown
    assert record["HN"] == "HN-1" and record["รหัสผู้ป่วย (แฮช)"] == "ab" * 6
    assert record["แผลเป็นที่กล้ามเนื้อหัวใจ: ผลคัดกรอง"] == csv_export.ABOVE_THRESHOLD
    assert record["LVEF < 50 %: ผลคัดกรอง"] == csv_export.BELOW_THRESHOLD
    assert record["LVEF < 50 %: ระดับความเสี่ยง"] == csv_export.BANDS["moderate"]


def test_the_time_zone_setting_is_checked() -> None:
    assert Settings(timezone="Asia/Bangkok").zone == ZoneInfo("Asia/Bangkok")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(timezone="Mars/Olympus")
