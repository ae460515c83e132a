"""`--import-to-log` on SQLite and PostgreSQL: screenings the service can show, audited, once."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from batch_fixtures import printouts, read_results, small_pngs
from sqlalchemy import select
from support.services import BACKENDS, database, migrated

from mtecg.api.layout_record import layout_columns, stored_layout
from mtecg.api.schemas import LayoutOut
from mtecg.api.view import screening_out
from mtecg.batch import importer
from mtecg.batch.journal import journal_folder
from mtecg.cli import main
from mtecg.db import accounts, audit
from mtecg.db.engine import make_engine, session_factory
from mtecg.db.models import AuditEvent, Screening
from mtecg.preprocess import preprocess
from mtecg.security import patient_ref

SECRET = "batch-test-secret"


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        migrated(url)
        engine = make_engine(url)
        with session_factory(engine).begin() as db:
            accounts.create_user(db, "archivist", None, role="clinician", organisation="ward-7")
        engine.dispose()
        monkeypatch.setenv("MTECG_DATABASE_URL", url)
        monkeypatch.setenv("MTECG_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("MTECG_SECRET_KEY", SECRET)
        yield url


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("import-inputs")
    files = [*printouts(root, 2), *small_pngs(root, 2)]
    path = root / "manifest.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "patient_ref"])
        for i, file in enumerate(files):
            writer.writerow([file.name, f"HN-{i:04d}"])
    return path


def _import(manifest: Path, out: Path, model: Path) -> int:
    return main(
        [
            "batch",
            str(manifest),
            "--out",
            str(out),
            "--model",
            str(model),
            "--import-to-log",
            "--user",
            "archivist",
            "--chunk-size",
            "2",
            "--json",
        ]
    )


def _stored(url: str) -> tuple[list[Screening], list[AuditEvent], Any]:
    engine = make_engine(url)
    with session_factory(engine)() as db:
        screenings = list(db.scalars(select(Screening)))
        events = list(db.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        broken = audit.verify(db).findings
        bodies = [screening_out(s, "archivist", None).model_dump(mode="json") for s in screenings]
    engine.dispose()
    return screenings, events, (broken, bodies)


def test_import_records_screenings_as_the_service_does(
    db_url: str, manifest: Path, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.parquet"
    assert _import(manifest, out, model) == 0
    capsys.readouterr()
    rows = {str(r["path"]): r for r in read_results(out)}
    screened = [r for r in rows.values() if r["status"] == "ok"]
    assert len(screened) == 2
    screenings, events, (broken, bodies) = _stored(db_url)
    assert not broken
    assert {str(s.id) for s in screenings} == {str(r["screening_id"]) for r in screened}
    refs = {r["sha256"]: f"HN-{i:04d}" for i, r in enumerate(rows.values())}
    for screening, body in zip(screenings, bodies, strict=True):
        row = next(r for r in screened if r["screening_id"] == str(screening.id))
        assert screening.organisation == "ward-7"
        assert screening.patient_ref_hmac == patient_ref.blind_index(
            SECRET.encode(), refs[row["sha256"]]
        )
        assert screening.upload_sha256 == row["sha256"]
        assert body["tasks"]["scar"]["probability"] == row["scar_probability"]
        # The layout section the service would store for the same file.
        pre = preprocess(Path(str(row["path"])).read_bytes())
        service_layout = LayoutOut.model_validate(stored_layout(layout_columns(pre)))
        assert body["layout"] == service_layout.model_dump(mode="json")
        for relative in screening.images.values():
            assert (tmp_path / "data" / relative).is_file()
    actions = [(e.action, e.actor) for e in events]
    assert actions.count((importer.SCREENING_ACTION, "archivist")) == 2
    parts = list(journal_folder(out).glob("part-*.parquet"))
    assert actions.count((importer.CHUNK_ACTION, "archivist")) == len(parts)  # one per chunk

    assert _import(manifest, out, model) == 0  # run again: nothing imported twice
    assert len(_stored(db_url)[0]) == 2


def test_crash_after_commit_keeps_the_chunk_and_imports_nothing_twice(
    db_url: str, manifest: Path, model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mtecg.batch.journal import Journal

    commit = Journal.commit
    calls = {"n": 0}

    def crash_on_first(self: Journal, pending: Path) -> Path:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("simulated crash between commit and rename")
        return commit(self, pending)

    out = tmp_path / "results.parquet"
    monkeypatch.setattr(Journal, "commit", crash_on_first)
    assert _import(manifest, out, model) == 1
    monkeypatch.setattr(Journal, "commit", commit)
    assert _import(manifest, out, model) == 0
    screened = [r for r in read_results(out) if r["status"] == "ok"]
    screenings = _stored(db_url)[0]
    assert sorted(str(s.id) for s in screenings) == sorted(str(r["screening_id"]) for r in screened)
    assert len(screenings) == 2


def test_crash_before_commit_drops_the_chunk_and_imports_it_again(
    db_url: str, manifest: Path, model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = importer.audit.record

    def fail_chunk(db: Any, action: str, *args: Any, **kwargs: Any) -> Any:
        if action == importer.CHUNK_ACTION:
            raise RuntimeError("simulated database failure")
        return record(db, action, *args, **kwargs)

    out = tmp_path / "results.parquet"
    monkeypatch.setattr(importer.audit, "record", fail_chunk)
    assert _import(manifest, out, model) == 1
    assert _stored(db_url)[0] == []
    assert not [p for p in (tmp_path / "data").rglob("*.png")]  # its images went too
    monkeypatch.setattr(importer.audit, "record", record)
    assert _import(manifest, out, model) == 0
    screenings, _, (broken, _) = _stored(db_url)
    assert len(screenings) == 2 and not broken


def test_unknown_user_is_a_tool_failure(
    db_url: str, manifest: Path, model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "batch",
            str(manifest),
            "--out",
            str(tmp_path / "r.csv"),
            "--model",
            str(model),
            "--import-to-log",
            "--user",
            "nobody",
        ]
    )
    assert code == 1 and "nobody" in capsys.readouterr().err
