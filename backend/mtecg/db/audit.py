"""Appending to and verifying the audit trail (keyed chain from `mtecg.security.audit_chain`).

`record` is called inside the transaction of the action it records, so the action and its
audit row commit or roll back together. Appends are serialised so the chain stays linear:
SQLite's BEGIN IMMEDIATE (see `engine.py`) already admits one writer at a time; PostgreSQL
takes a transaction-scoped advisory lock before reading the chain's head.

The chain's key comes from the session (`session.info["audit_key"]`, set by the service's
session factory) or else from the settings, as the CLI has them: it is never stored in the
database it protects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from mtecg.db.models import AuditEvent, utcnow
from mtecg.security.audit_chain import GENESIS, KEYED, LEGACY, audit_key, row_hash, verify_chain
from mtecg.security.audit_checkpoints import Checkpoint

#: Arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
_PG_CHAIN_LOCK: Final = 0x6D746563  # "mtec"
_VERIFY_BATCH: Final = 1000
KEY_INFO: Final = "audit_key"


def key_of(session: Session) -> bytes:
    key = session.info.get(KEY_INFO)
    if isinstance(key, bytes):
        return key
    from mtecg.settings import Settings

    return audit_key(Settings().resolve_secret_key())


def record(
    session: Session,
    action: str,
    outcome: str,
    *,
    actor: str | None = None,
    object_id: str | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Adds one chained audit row to the session's transaction (flushed, not committed)."""
    key = key_of(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    previous_id, previous_hash = head(session) or (0, GENESIS)
    event = AuditEvent(
        id=previous_id + 1,
        at=utcnow(),
        actor=actor,
        action=action,
        object_id=object_id,
        outcome=outcome,
        request_id=request_id,
        prev_hash=previous_hash,
        key_version=KEYED,
    )
    event.row_hash = row_hash(previous_hash, event.chain_content(), key)
    session.add(event)
    session.flush()
    return event


def head(session: Session) -> tuple[int, str] | None:
    """The newest row's id and hash (None for an empty trail)."""
    row = session.execute(
        select(AuditEvent.id, AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))


def _chain(session: Session) -> Iterator[tuple[Any, dict[str, Any], str, str, int]]:
    last = 0
    while True:
        batch = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.id > last)
            .order_by(AuditEvent.id)
            .limit(_VERIFY_BATCH)
        ).all()
        if not batch:
            return
        for event in batch:
            yield (
                event.id,
                event.chain_content(),
                event.prev_hash,
                event.row_hash,
                event.key_version,
            )
        last = batch[-1].id


@dataclass(frozen=True)
class Finding:
    kind: str  # edited | deleted | truncated | checkpoint_invalid
    row_id: int | None
    message: str


@dataclass
class Report:
    rows: int
    legacy_rows: int
    checkpoints: int
    findings: list[Finding] = field(default_factory=list)


def verify(session: Session, checkpoints: Sequence[Checkpoint | None] = ()) -> Report:
    """Checks the chain and every checkpoint against it; lists what was edited or removed."""
    key = key_of(session)
    rows = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    legacy = (
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.key_version == LEGACY)
        )
        or 0
    )
    report = Report(rows, legacy, len(checkpoints))
    broken = verify_chain(_chain(session), key)
    if broken is not None:
        kind = "deleted" if "missing" in broken.reason else "edited"
        report.findings.append(Finding(kind, int(broken.row_id), broken.reason))
    newest = head(session)
    for checkpoint in checkpoints:
        if checkpoint is None or not checkpoint.signed_by(key):
            report.findings.append(
                Finding("checkpoint_invalid", None, "a checkpoint line is not signed by the key")
            )
            continue
        stored = session.scalar(
            select(AuditEvent.row_hash).where(AuditEvent.id == checkpoint.row_id)
        )
        if stored == checkpoint.row_hash:
            continue
        if stored is None and (newest is None or checkpoint.row_id > newest[0]):
            report.findings.append(
                Finding(
                    "truncated",
                    checkpoint.row_id,
                    f"rows up to {checkpoint.row_id} existed at {checkpoint.at} "
                    f"but the trail ends at {newest[0] if newest else 0}",
                )
            )
        elif stored is None:
            report.findings.append(
                Finding("deleted", checkpoint.row_id, "a checkpointed row is missing")
            )
        else:
            report.findings.append(
                Finding("edited", checkpoint.row_id, "a checkpointed row's hash changed")
            )
    return report
