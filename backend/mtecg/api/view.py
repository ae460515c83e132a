"""Stored screening rows -> the `Screening` body of docs/API.md."""

from __future__ import annotations

from typing import Final

from mtecg.api.schemas import SCREENING_AID, ScreeningOut
from mtecg.db.models import Screening

#: What each head of the network answers, for people (the model's heads are fixed, HEADS).
TASK_LABELS: Final = {"scar": "Myocardial scar", "lvef": "LVEF < 50 %"}
API_PREFIX: Final = "/api/v1"


def screening_url(screening_id: object) -> str:
    return f"{API_PREFIX}/screenings/{screening_id}"


def screening_out(row: Screening, username: str) -> ScreeningOut:
    return ScreeningOut.model_validate(
        {
            "id": row.id,
            "created_at": row.created_at,
            "created_by": {"id": row.user_id, "username": username},
            "organisation": row.organisation,
            "patient_ref_hash": None if row.patient_ref_hmac is None else row.patient_ref_hmac[:12],
            "upload_sha256": row.upload_sha256,
            "model": {
                "id": row.model_id,
                "version": row.model_version,
                "weights_sha256": row.weights_sha256,
                "synthetic": row.model_synthetic,
            },
            "layout": row.layout,
            "clinical": row.clinical,
            "tasks": row.outputs,
            "images": {name: f"{screening_url(row.id)}/images/{name}.png" for name in row.images},
            "timings_ms": row.timings_ms,
            "screening_aid": SCREENING_AID,
        }
    )
