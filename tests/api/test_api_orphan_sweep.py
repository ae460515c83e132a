"""A start removes image folders of uploads whose process died before their row was committed."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

from support.api_client import bearer, started
from support.services import database, migrated


def _folder(data_dir: Path, name: str, age_s: float) -> Path:
    folder = data_dir / "2026" / "11" / name
    folder.mkdir(parents=True)
    (folder / "canonical.png").write_bytes(b"\x89PNG partial")
    past = time.time() - age_s
    os.utime(folder, (past, past))
    return folder


def test_orphans_from_a_dead_process_go_stored_screenings_stay(
    tmp_path: Path, packages: Any, ecg_pdf: bytes
) -> None:
    data_dir = tmp_path / "data"
    with database("sqlite", tmp_path) as url:
        migrated(url)
        with started(url, data_dir, packages["plain"]) as first:
            key = first.user("ana")
            answer = first.upload(key, ecg_pdf)
            assert answer.status_code == 201, answer.text
            screening = answer.json()["id"]
        orphan = _folder(data_dir, str(uuid.uuid4()), age_s=60)
        not_ours = _folder(data_dir, "notes", age_s=60)  # not a screening id: never touched
        with started(url, data_dir, packages["plain"]) as second:
            assert second.client.get("/readyz").status_code == 200
            assert not orphan.exists() and not_ours.exists()
            stored = second.client.get(
                f"/api/v1/screenings/{screening}/images/canonical.png", headers=bearer(key)
            )
            assert stored.status_code == 200 and stored.content.startswith(b"\x89PNG")
