"""Item 3: the audit chain cannot be rewritten by someone with database write access only.

The attacks of the penetration test, on SQLite and PostgreSQL: edit a row and recompute every
later hash (as the unkeyed SHA-256 chain allowed), delete the newest 50 rows, forge a
checkpoint, and rewrite the whole chain as "legacy" rows. `mtecg audit verify` must report
each; rows written before the chain was keyed (migration 0013) stay verifiable.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from support.services import CliDatabase, run_cli

from mtecg.api.audit_anchor import AuditAnchor
from mtecg.db import audit, migrate
from mtecg.db.engine import make_engine, session_factory
from mtecg.db.models import AuditEvent, UTCDateTime, utcnow
from mtecg.security.audit_chain import GENESIS, LEGACY, audit_key, row_hash
from mtecg.settings import Settings

LEGACY_ROWS = 3
NEW_ROWS = 80


def verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    return run_cli(capsys, "audit", "verify")


def rechain_without_key(db: Session, version: int | None = None) -> None:
    """What the attacker can do: recompute every hash with plain SHA-256."""
    previous = GENESIS
    for event in db.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        event.prev_hash = previous
        event.row_hash = row_hash(previous, event.chain_content(), None)
        if version is not None:
            event.key_version = version
        db.flush()
        previous = event.row_hash


def test_edits_deletions_truncation_and_forgeries_are_reported(
    cli_database: CliDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    url, checkpoints = cli_database.url, cli_database.checkpoints
    engine = make_engine(url)
    migrate.upgrade(engine, "0002")
    engine.dispose()
    _insert_legacy(url)
    engine = make_engine(url)
    migrate.upgrade(engine)
    key = audit_key(Settings().resolve_secret_key())
    sessions = session_factory(engine)
    sessions.configure(info={audit.KEY_INFO: key})
    for n in range(NEW_ROWS):
        with sessions.begin() as db:
            audit.record(db, "screening.view", "success", actor="alice", object_id=str(n))
    status, report = verify(capsys)
    assert status == 0, report
    assert report["rows"] == LEGACY_ROWS + NEW_ROWS and report["legacy_rows"] == LEGACY_ROWS
    anchor = AuditAnchor(sessions, key, checkpoints, 3600)
    assert anchor.checkpoint() and not anchor.checkpoint()  # only when the head moved
    assert oct(checkpoints.stat().st_mode & 0o777) == "0o600"
    assert verify(capsys)[1]["checkpoints"] == 1

    # 1. Edit row 10 and recompute every later hash without the key.
    with sessions.begin() as db:
        db.execute(update(AuditEvent).where(AuditEvent.id == 10).values(actor="mallory"))
        rechain_without_key(db)
    status, report = verify(capsys)
    assert status == 1 and report["kind"] == "edited", report
    assert report["row_id"] == LEGACY_ROWS + 1  # the first keyed row no longer verifies
    # Put back the real chain (recomputed with the key, as the service would have).
    _rechain_with_key(sessions, key, edit=("alice", 10))
    assert verify(capsys)[0] == 0

    # 2. Rewrite the whole chain as unkeyed "legacy" rows: consistent, but the checkpoint
    # no longer matches the head it signed.
    with sessions.begin() as db:
        snapshot = [(e.id, e.prev_hash, e.row_hash, e.key_version) for e in _all(db)]
        rechain_without_key(db, version=LEGACY)
    status, report = verify(capsys)
    assert status == 1 and {f["kind"] for f in report["findings"]} == {"edited"}, report
    with sessions.begin() as db:
        for row_id, prev, digest, version in snapshot:
            db.execute(
                update(AuditEvent)
                .where(AuditEvent.id == row_id)
                .values(prev_hash=prev, row_hash=digest, key_version=version)
            )
    assert verify(capsys)[0] == 0

    # 3. Delete the newest 50 rows: what is left is a valid chain, but shorter than the
    # checkpoint says.
    newest = LEGACY_ROWS + NEW_ROWS
    with sessions.begin() as db:
        db.execute(delete(AuditEvent).where(AuditEvent.id > newest - 50))
    status, report = verify(capsys)
    assert status == 1 and report["kind"] == "truncated" and report["row_id"] == newest
    assert f"ends at {newest - 50}" in report["message"]

    # 4. A forged checkpoint line (no key) is reported too.
    forged = {"at": utcnow().isoformat(), "row_id": 1, "row_hash": "0" * 64, "mac": "f" * 64}
    with checkpoints.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    kinds = {f["kind"] for f in verify(capsys)[1]["findings"]}
    assert kinds == {"truncated", "checkpoint_invalid"}
    engine.dispose()


def _all(db: Session) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _rechain_with_key(sessions: Any, key: bytes, edit: tuple[str, int]) -> None:
    actor, row_id = edit
    with sessions.begin() as db:
        db.execute(update(AuditEvent).where(AuditEvent.id == row_id).values(actor=actor))
        previous = GENESIS
        for event in _all(db):
            event.prev_hash = previous
            event.row_hash = row_hash(
                previous, event.chain_content(), None if event.key_version == LEGACY else key
            )
            db.flush()
            previous = event.row_hash


#: audit_events as migration 0001 made it (no key_version column yet).
LEGACY_TABLE = sa.table(
    "audit_events",
    *(sa.column(name) for name in ("id", "actor", "action", "object_id", "outcome")),
    *(sa.column(name) for name in ("request_id", "prev_hash", "row_hash")),
    sa.column("at", UTCDateTime()),
)


def _insert_legacy(url: str) -> None:
    """Rows as the code before 0013 wrote them: plain SHA-256, no key."""
    engine = make_engine(url)
    with engine.begin() as connection:
        previous = GENESIS
        for n in range(1, LEGACY_ROWS + 1):
            event = AuditEvent(
                id=n,
                at=utcnow(),
                actor="old",
                action="user.create",
                object_id=str(n),
                outcome="success",
                request_id=None,
                prev_hash=previous,
            )
            event.row_hash = row_hash(previous, event.chain_content(), None)
            columns = ("id", "at", "actor", "action", "object_id", "outcome", "request_id")
            values = {c: getattr(event, c) for c in (*columns, "prev_hash", "row_hash")}
            connection.execute(LEGACY_TABLE.insert().values(**values))
            previous = event.row_hash
    engine.dispose()
