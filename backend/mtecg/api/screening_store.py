"""Storing one screened upload: its images, then its row and audit entry in one transaction.

The images are written (each atomically, fsynced) before the row that points at them is
committed and removed again if that commit fails, so a row never points at a missing image
and a failed store leaves nothing behind (see storage.py for a process killed in between).
The HN is stored only encrypted and as a keyed HMAC, never in clear.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from mtecg.api import storage
from mtecg.api.deps import Principal
from mtecg.api.layout_record import layout_columns, stored_layout
from mtecg.api.model_worker import ModelOutput
from mtecg.api.service import Service
from mtecg.api.upload_form import UploadForm
from mtecg.db import audit
from mtecg.db.models import Screening, utcnow
from mtecg.preprocess import Preprocessed
from mtecg.security import patient_ref as hn
from mtecg.tasks import TASK_LABELS


def store_screening(
    service: Service,
    principal: Principal,
    form: UploadForm,
    pre: Preprocessed,
    output: ModelOutput,
    request_id: str,
    total_ms: float,
) -> Screening:
    """Images, then row + audit row in one transaction; the images go again if that fails."""
    screening_id, created_at = uuid.uuid4(), utcnow()
    folder = storage.folder_for(created_at, screening_id)
    data_dir = service.settings.data_dir
    manifest = output.manifest
    try:
        images = storage.write_images(data_dir, folder, pre.layout.canonical, output.maps)
        with service.sessions.begin() as db:
            db.add(
                Screening(
                    id=screening_id,
                    created_at=created_at,
                    user_id=principal.user_id,
                    organisation=principal.organisation,
                    upload_sha256=hashlib.sha256(form.data).hexdigest(),
                    **_patient_ref_columns(service.secret_key, form.patient_ref, screening_id),
                    layout=stored_layout(layout_columns(pre)),
                    model_id=manifest.id,
                    model_version=manifest.version,
                    weights_sha256=manifest.weights.sha256 if manifest.weights else "",
                    model_synthetic=manifest.synthetic,
                    clinical=form.clinical_json,
                    outputs=_task_outputs(output),
                    timings_ms=_timings(pre, output, total_ms),
                    images=images,
                    scar_probability=output.results["scar"].probability,
                    scar_band=output.results["scar"].risk_band,
                    lvef_probability=output.results["lvef"].probability,
                    lvef_band=output.results["lvef"].risk_band,
                )
            )
            db.flush()
            audit.record(
                db,
                "screening.create",
                "success",
                actor=principal.username,
                object_id=str(screening_id),
                request_id=request_id,
            )
            row = db.get_one(Screening, screening_id)
    except BaseException:
        storage.remove_images(data_dir, folder)
        raise
    return row


def _patient_ref_columns(
    secret_key: bytes, patient_ref: str | None, screening_id: uuid.UUID
) -> dict[str, str | None]:
    """The HN's blind index (exact search) and ciphertext (bound to this row's id)."""
    if patient_ref is None:
        return {"patient_ref_hmac": None, "patient_ref_ciphertext": None}
    return {
        "patient_ref_hmac": hn.blind_index(secret_key, patient_ref),
        "patient_ref_ciphertext": hn.encrypt(secret_key, patient_ref, str(screening_id)),
    }


def _task_outputs(output: ModelOutput) -> dict[str, dict[str, Any]]:
    """Each task's answer as stored and returned (the `Task` body of docs/API.md)."""
    return {
        name: {
            "label": TASK_LABELS[name],
            "probability": result.probability,
            "prediction": bool(result.prediction),
            "threshold": output.manifest.tasks[name].threshold,
            "risk_band": result.risk_band,
            "reference_marker": result.reference_marker,
        }
        for name, result in output.results.items()
    }


def _timings(pre: Preprocessed, output: ModelOutput, total_ms: float) -> dict[str, float]:
    """Milliseconds per stage: reading the file, finding the layout, the model's, the total."""
    ingest_ms = pre.timings_ms.get("open", 0.0)
    return {
        "ingest": round(ingest_ms, 3),
        "layout": round(sum(pre.timings_ms.values()) - ingest_ms, 3),
        **output.timings_ms,
        "total": round(total_ms, 3),
    }
