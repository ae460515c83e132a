"""`--import-to-log`: the batch's screenings recorded in the service's database.

A chunk is recorded the way the service records one upload, only many at once: its images
are written under DATA_DIR first (the service's `storage` layout, copied from the run's map
files), then one transaction adds every screening row, one `screening.import` audit row per
screening and one `screening.batch_import` row naming the chunk, all under the named user and
their organisation. Patient references are stored only as the service's HMAC. A refused file
creates no screening, as in the service. The chunk's audit row is also what `committed` asks
after a crash, so a chunk is imported exactly once (see `journal`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select

from mtecg.api import storage
from mtecg.api.layout_record import stored_layout
from mtecg.batch.inputs import Item
from mtecg.batch.schema import STATUS_OK
from mtecg.db import accounts, audit, migrate
from mtecg.db.engine import make_engine, session_factory
from mtecg.db.models import AuditEvent, Screening, utcnow
from mtecg.imageio import copy_atomically
from mtecg.model.manifest import ModelManifest
from mtecg.security import patient_ref
from mtecg.settings import Settings
from mtecg.tasks import IMAGE_NAMES, TASK_LABELS, TASKS

CHUNK_ACTION: Final = "screening.batch_import"
SCREENING_ACTION: Final = "screening.import"


class ImportRefused(RuntimeError):
    """The database cannot take the import (schema behind, unknown or disabled user)."""


class Importer:
    def __init__(self, settings: Settings, username: str, manifest: ModelManifest) -> None:
        self.engine = make_engine(settings.database_url)
        self.sessions = session_factory(self.engine)
        current, head = migrate.current_revision(self.engine), migrate.head_revision()
        if current != head:
            raise ImportRefused(
                f"database at revision {current or 'empty'}, this code needs {head}: "
                "run `mtecg db upgrade`"
            )
        with self.sessions() as db:
            user = accounts.find_user(db, username)
            if user is None or user.disabled:
                raise ImportRefused(f"no active user {username!r} to import as")
            self.user_id, self.organisation = user.id, user.organisation
        self.username = username
        self.manifest = manifest
        self.data_dir = settings.data_dir
        self.secret_key = settings.resolve_secret_key()

    def close(self) -> None:
        self.engine.dispose()

    def assign(self, rows: list[dict[str, Any]]) -> None:
        """Gives each screened row its screening id and time before the chunk is journalled."""
        for row in rows:
            if row["status"] == STATUS_OK:
                row["screening_id"], row["imported_at"] = str(uuid.uuid4()), utcnow()

    def committed(self, chunk_id: str) -> bool:
        with self.sessions() as db:
            found = db.scalar(
                select(AuditEvent.id).where(
                    AuditEvent.action == CHUNK_ACTION, AuditEvent.object_id == chunk_id
                )
            )
        return found is not None

    def forget(self, rows: list[dict[str, Any]]) -> None:
        """Removes the images of a chunk whose transaction never committed."""
        for row in rows:
            if row["screening_id"] is not None:
                folder = storage.folder_for(row["imported_at"], uuid.UUID(row["screening_id"]))
                storage.remove_images(self.data_dir, folder)

    def record(self, rows: list[dict[str, Any]], items: Mapping[str, Item], chunk_id: str) -> None:
        """Images, then every row and audit row of the chunk in one transaction."""
        screened = [row for row in rows if row["screening_id"] is not None]
        try:
            images = {row["screening_id"]: self._copy_images(row) for row in screened}
            with self.sessions.begin() as db:
                for row in screened:
                    db.add(self._screening(row, items[row["path"]], images[row["screening_id"]]))
                db.flush()
                for row in screened:
                    audit.record(
                        db,
                        SCREENING_ACTION,
                        "success",
                        actor=self.username,
                        object_id=row["screening_id"],
                        request_id=chunk_id[:64],
                    )
                audit.record(db, CHUNK_ACTION, "success", actor=self.username, object_id=chunk_id)
        except BaseException:
            self.forget(rows)
            raise

    def _copy_images(self, row: dict[str, Any]) -> dict[str, str]:
        folder = storage.folder_for(row["imported_at"], uuid.UUID(row["screening_id"]))
        stored = {}
        for name in IMAGE_NAMES:
            relative = folder / f"{name}.png"
            copy_atomically(Path(row[f"{name}_png"]), self.data_dir / relative)
            stored[name] = str(relative)
        return stored

    def _screening(self, row: dict[str, Any], item: Item, images: dict[str, str]) -> Screening:
        tasks = self.manifest.tasks
        return Screening(
            id=uuid.UUID(row["screening_id"]),
            created_at=row["imported_at"],
            user_id=self.user_id,
            organisation=self.organisation,
            upload_sha256=row["sha256"],
            patient_ref_hmac=None
            if item.patient_ref is None
            else patient_ref.blind_index(self.secret_key, item.patient_ref),
            patient_ref_ciphertext=None
            if item.patient_ref is None
            else patient_ref.encrypt(self.secret_key, item.patient_ref, row["screening_id"]),
            layout=stored_layout(row),
            model_id=row["model_id"],
            model_version=row["model_version"],
            weights_sha256=row["model_sha256"],
            model_synthetic=row["model_synthetic"],
            clinical=item.clinical_json,
            outputs={
                task: {
                    "label": TASK_LABELS[task],
                    "probability": row[f"{task}_probability"],
                    "prediction": row[f"{task}_prediction"],
                    "threshold": row[f"{task}_threshold"],
                    "risk_band": row[f"{task}_band"],
                    "reference_marker": tasks[task].reference_marker,
                }
                for task in TASKS
            },
            timings_ms={
                "ingest": row["ingest_ms"],
                "layout": row["layout_ms"],
                "predict": row["predict_ms"],
                "explain": row["explain_ms"],
                "total": row["total_ms"],
            },
            images=images,
            scar_probability=row["scar_probability"],
            scar_band=row["scar_band"],
            lvef_probability=row["lvef_probability"],
            lvef_band=row["lvef_band"],
        )
