"""The patient reference (HN) on SQLite and PostgreSQL: never in clear at rest, shown in clear
only to the screening's own organisation, old hash-only rows still work, and a wrong key fails
closed with a clear error."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from support.api_client import bearer, started
from support.services import BACKENDS, database, migrated

from mtecg.api.csv_export import BOM
from mtecg.db.models import Screening

# Distinctive enough that a match anywhere in a dump or file can only be this value.
HN = "HN-7731-ZQXK"


def _dump(url: str) -> bytes:
    """Everything the database holds, as bytes: the SQLite file(s) or a pg_dump."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(["pg_dump", plain], capture_output=True, check=True, timeout=60).stdout


def _files(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("backend", BACKENDS)
def test_hn_is_encrypted_at_rest_and_shown_only_to_its_organisation(
    backend: str, tmp_path: Path, ecg_pdf: bytes, packages: dict[str, Path]
) -> None:
    with (
        database(backend, tmp_path) as url,
        started(migrated(url), tmp_path / "data", packages["plain"]) as running,
    ):
        alice, bob = running.user("alice"), running.user("bob")
        carol = running.user("carol", organisation="hospital-b")
        root = running.user("root", role="sysadmin", organisation="hospital-c")
        created = running.upload(alice, ecg_pdf, patient_ref=HN)
        assert created.status_code == 201, created.text
        assert created.json()["patient_ref"] == HN
        sid = created.json()["id"]

        detail = running.client.get(f"/api/v1/screenings/{sid}", headers=bearer(bob)).json()
        assert detail["patient_ref"] == HN and len(detail["patient_ref_hash"]) == 12
        listed = running.client.get("/api/v1/screenings", headers=bearer(bob)).json()
        assert [item["patient_ref"] for item in listed["items"]] == [HN]
        # A system administrator (another organisation) finds the row but not the HN; another
        # organisation's clinician cannot open it at all.
        admin_view = running.client.get(f"/api/v1/screenings/{sid}", headers=bearer(root)).json()
        assert admin_view["patient_ref"] is None and admin_view["patient_ref_hash"]
        assert HN not in str(admin_view)
        foreign = running.client.get(f"/api/v1/screenings/{sid}", headers=bearer(carol))
        assert foreign.status_code == 403 and HN not in foreign.text
        # Exact search still works through the blind index.
        found = running.client.get(
            "/api/v1/screenings", params={"patient_ref": HN}, headers=bearer(root)
        ).json()
        assert [item["id"] for item in found["items"]] == [sid]

        own_csv = running.client.get("/api/v1/screenings/export.csv", headers=bearer(bob)).text
        admin_csv = running.client.get("/api/v1/screenings/export.csv", headers=bearer(root)).text
        assert [row["HN"] for row in csv.DictReader(io.StringIO(own_csv.removeprefix(BOM)))] == [HN]
        assert HN not in admin_csv

        assert HN.encode() not in _dump(url)
        assert HN.encode() not in _files(running.data_dir)
        with running.service.sessions() as db:
            row = db.get_one(Screening, uuid.UUID(sid))
            assert row.patient_ref_ciphertext and row.patient_ref_ciphertext.startswith("v1:")


@pytest.mark.parametrize("backend", BACKENDS)
def test_rows_stored_before_keep_their_hash_and_a_wrong_key_fails_closed(
    backend: str, tmp_path: Path, ecg_pdf: bytes, packages: dict[str, Path]
) -> None:
    with database(backend, tmp_path) as url:
        migrated(url)
        ids: dict[str, Any] = {}
        with started(url, tmp_path / "data", packages["plain"]) as running:
            key = running.user("alice")
            ids["old"] = running.upload(key, ecg_pdf, patient_ref="HN-OLD").json()["id"]
            ids["new"] = running.upload(key, ecg_pdf, patient_ref=HN).json()["id"]
            with running.service.sessions.begin() as db:  # as a row from before this change
                db.execute(
                    update(Screening)
                    .where(Screening.id == uuid.UUID(ids["old"]))
                    .values(patient_ref_ciphertext=None)
                )
            old = running.client.get(f"/api/v1/screenings/{ids['old']}", headers=bearer(key))
            assert old.status_code == 200
            assert old.json()["patient_ref"] is None and old.json()["patient_ref_hash"]
            ids["key"] = key
        with started(url, tmp_path / "data", packages["plain"], secret_key="another-key") as other:
            # The API key itself does not depend on the secret; the HN does.
            wrong = other.client.get(f"/api/v1/screenings/{ids['new']}", headers=bearer(ids["key"]))
            assert wrong.status_code == 500
            problem = wrong.json()
            assert problem["code"] == "patient_ref_key_mismatch"
            assert "MTECG_SECRET_KEY" in problem["detail"] and HN not in wrong.text
            listing = other.client.get("/api/v1/screenings", headers=bearer(ids["key"]))
            assert listing.status_code == 500
            assert listing.json()["code"] == "patient_ref_key_mismatch"


@pytest.mark.parametrize("backend", BACKENDS)
def test_key_rotation_moves_every_hn_to_the_new_key(
    backend: str,
    tmp_path: Path,
    ecg_pdf: bytes,
    packages: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mtecg.cli import main

    with database(backend, tmp_path) as url:
        migrated(url)
        with started(url, tmp_path / "data", packages["plain"]) as running:
            key = running.user("alice")
            sid = running.upload(key, ecg_pdf, patient_ref=HN).json()["id"]
        wrong, previous = tmp_path / "wrong", tmp_path / "previous"
        wrong.write_text("not-the-key\n")
        previous.write_text("test-secret-key\n")  # the key the rows were stored with
        monkeypatch.setenv("MTECG_DATABASE_URL", url)
        monkeypatch.setenv("MTECG_SECRET_KEY", "the-new-key")
        argv = ["db", "rekey-patient-refs", "--json", "--previous-key-file"]
        assert main([*argv, str(wrong)]) == 1
        assert "does not decrypt" in capsys.readouterr().out
        assert main([*argv, str(previous)]) == 0
        assert json.loads(capsys.readouterr().out)["rekeyed"] == 1
        with started(url, tmp_path / "data", packages["plain"], secret_key="the-new-key") as new:
            detail = new.client.get(f"/api/v1/screenings/{sid}", headers=bearer(key)).json()
            assert detail["patient_ref"] == HN
            found = new.client.get(
                "/api/v1/screenings", params={"patient_ref": HN}, headers=bearer(key)
            ).json()
            assert [item["id"] for item in found["items"]] == [sid]
