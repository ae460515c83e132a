"""Appending to and verifying the audit trail (hash chain from `mtecg.security.audit_chain`).

`record` is called inside the transaction of the action it records, so the action and its
audit row commit or roll back together. Appends are serialised so the chain stays linear:
SQLite's BEGIN IMMEDIATE (see `engine.py`) already admits one writer at a time; PostgreSQL
takes a transaction-scoped advisory lock before reading the chain's head.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mtecg.db.models import AuditEvent, utcnow
from mtecg.security.audit_chain import GENESIS, ChainBreak, row_hash, verify_chain

#: Arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
_PG_CHAIN_LOCK: Final = 0x6D746563  # "mtec"
_VERIFY_BATCH: Final = 1000


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
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    head = session.execute(
        select(AuditEvent.id, AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    previous_id, previous_hash = (0, GENESIS) if head is None else (head[0], head[1])
    event = AuditEvent(
        id=previous_id + 1,
        at=utcnow(),
        actor=actor,
        action=action,
        object_id=object_id,
        outcome=outcome,
        request_id=request_id,
        prev_hash=previous_hash,
    )
    event.row_hash = row_hash(previous_hash, event.chain_content())
    session.add(event)
    session.flush()
    return event


def _chain(session: Session) -> Iterator[tuple[Any, dict[str, Any], str, str]]:
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
            yield event.id, event.chain_content(), event.prev_hash, event.row_hash
        last = batch[-1].id


def verify(session: Session) -> ChainBreak | None:
    """The first place the stored chain is broken (edited, deleted or reordered rows)."""
    return verify_chain(_chain(session))
