"""Finding screenings: the filters the list and the CSV export share."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Row, Select, func, or_, select
from sqlalchemy.orm import Session

from mtecg.db.models import Screening, User


@dataclass(frozen=True)
class ScreeningFilter:
    organisation: str | None = None  # None: every organisation (admins)
    date_from: date | None = None  # inclusive, UTC
    date_to: date | None = None  # inclusive, UTC
    risk_band: str | None = None  # either task in this band
    patient_ref_hmac: str | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _select(f: ScreeningFilter) -> Select[Screening, str]:
    query = select(Screening, User.username).join(User, User.id == Screening.user_id)
    if f.organisation is not None:
        query = query.where(Screening.organisation == f.organisation)
    if f.date_from is not None:
        query = query.where(Screening.created_at >= _day_start(f.date_from))
    if f.date_to is not None and f.date_to < date.max:  # date.max: no upper bound at all
        query = query.where(Screening.created_at < _day_start(f.date_to + timedelta(days=1)))
    if f.risk_band is not None:
        query = query.where(
            or_(Screening.scar_band == f.risk_band, Screening.lvef_band == f.risk_band)
        )
    if f.patient_ref_hmac is not None:
        query = query.where(Screening.patient_ref_hmac == f.patient_ref_hmac)
    return query


def page(
    session: Session, f: ScreeningFilter, number: int, size: int
) -> tuple[list[tuple[Screening, str]], int]:
    """One page, newest first, and the total number of matches."""
    query = _select(f)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Screening.created_at.desc(), Screening.id.desc())
        .offset((number - 1) * size)
        .limit(size)
    ).all()
    return [(screening, username) for screening, username in rows], total


def every(session: Session, f: ScreeningFilter, batch: int = 500) -> Iterator[Row[Screening, str]]:
    """All matches, newest first, read in batches (for the export)."""
    result = session.execute(
        _select(f)
        .order_by(Screening.created_at.desc(), Screening.id.desc())
        .execution_options(yield_per=batch)
    )
    yield from result


def one(session: Session, screening_id: uuid.UUID) -> tuple[Screening, str] | None:
    row = session.execute(
        select(Screening, User.username)
        .join(User, User.id == Screening.user_id)
        .where(Screening.id == screening_id)
    ).first()
    return None if row is None else (row[0], row[1])
