"""Stored screening rows -> the `Screening` body of docs/API.md."""

from __future__ import annotations

from typing import Final

from mtecg.api.schemas import SCREENING_AID, ScreeningOut
from mtecg.db.models import Screening
from mtecg.security import patient_ref

API_PREFIX: Final = "/api/v1"
SCREENINGS_PATH: Final = f"{API_PREFIX}/screenings"
SIGNALS_PATH: Final = f"{API_PREFIX}/signals"


def screening_url(screening_id: object) -> str:
    return f"{SCREENINGS_PATH}/{screening_id}"


def clear_patient_ref(secret_key: bytes, row: Screening, viewer_organisation: str) -> str | None:
    """The HN in clear for a viewer of the row's own organisation; None for anyone else.

    Raises `PatientRefKeyError` (fail closed) when it does not decrypt with this key.
    """
    if row.patient_ref_ciphertext is None or viewer_organisation != row.organisation:
        return None
    return patient_ref.decrypt(secret_key, row.patient_ref_ciphertext, str(row.id))


def screening_out(row: Screening, username: str, clear_ref: str | None) -> ScreeningOut:
    """The API body of a stored row; `clear_ref` from `clear_patient_ref` for this viewer."""
    return ScreeningOut.model_validate(
        {
            "id": row.id,
            "created_at": row.created_at,
            "created_by": {"id": row.user_id, "username": username},
            "organisation": row.organisation,
            "patient_ref_hash": None if row.patient_ref_hmac is None else row.patient_ref_hmac[:12],
            "patient_ref": clear_ref,
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


def viewed_screening(
    row: Screening, username: str, secret_key: bytes, viewer_organisation: str
) -> ScreeningOut:
    """The API body of a row as this viewer may see it (the HN only for its organisation)."""
    return screening_out(row, username, clear_patient_ref(secret_key, row, viewer_organisation))
