"""`mtecg users`, `mtecg api-keys` and `mtecg audit verify` on SQLite and PostgreSQL; the audit
chain stays linear when many writers append at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from support.services import BACKENDS, CliDatabase, database, migrated, run_cli

from mtecg.db import audit
from mtecg.db.engine import make_engine, session_factory
from mtecg.db.models import AuditEvent


def test_accounts_and_audit_verify_from_the_command_line(
    cli_database: CliDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    url = migrated(cli_database.url)
    status, created = run_cli(
        capsys, "users", "create", "nurse", "--generate-password", "--organisation", "ward-7"
    )
    assert status == 0 and len(created["password"]) >= 12
    assert run_cli(capsys, "users", "create", "nurse", "--password", "x" * 12)[0] == 1
    assert run_cli(capsys, "users", "create", "weak", "--password", "short")[0] == 1
    status, key = run_cli(capsys, "api-keys", "create", "--user", "nurse")
    assert status == 0 and key["key"].startswith(f"mtecg_{key['prefix']}_")
    assert run_cli(capsys, "api-keys", "revoke", "--prefix", key["prefix"])[0] == 0
    assert run_cli(capsys, "users", "disable", "nurse")[0] == 0
    status, listed = run_cli(capsys, "users", "list")
    assert listed["users"] == [
        {"username": "nurse", "role": "clinician", "organisation": "ward-7", "disabled": True}
    ]
    status, intact = run_cli(capsys, "audit", "verify")
    assert status == 0 and intact["status"] == "ok" and intact["rows"] == 4
    engine = make_engine(url)
    with session_factory(engine).begin() as db:
        db.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor="someone"))
    status, broken = run_cli(capsys, "audit", "verify")
    assert status == 1 and broken["row_id"] == 2 and "edited" in broken["message"]
    with session_factory(engine).begin() as db:
        db.execute(update(AuditEvent).where(AuditEvent.id == 2).values(actor="cli"))
    assert run_cli(capsys, "audit", "verify")[0] == 0
    with session_factory(engine).begin() as db:
        db.execute(delete(AuditEvent).where(AuditEvent.id == 2))
    status, broken = run_cli(capsys, "audit", "verify")
    assert status == 1 and broken["row_id"] == 3 and "missing" in broken["message"]
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_appends_keep_one_linear_chain(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as url:
        engine = make_engine(migrated(url))
        sessions = session_factory(engine)
        sessions.configure(info={audit.KEY_INFO: b"k" * 32})

        def append(writer: int) -> None:
            for n in range(10):
                with sessions.begin() as db:
                    audit.record(db, "test.append", "success", actor=f"w{writer}", object_id=str(n))

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(append, range(8)))
        with sessions() as db:
            report = audit.verify(db)
            assert report.rows == 80 and report.findings == []
            assert list(db.scalars(select(AuditEvent.id).order_by(AuditEvent.id))) == list(
                range(1, 81)
            )
        engine.dispose()
