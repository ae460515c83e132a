"""The tables. Every timestamp is UTC; every screening belongs to one user and organisation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    String,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, stored naive-UTC on SQLite and as timestamptz on PG.

    SQLite has no time zones; storing one convention everywhere keeps comparisons (date
    filters, expiry) and the audit chain's canonical times identical on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime}


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    organisation: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))  # clinician | admin | sysadmin
    password_hash: Mapped[str | None] = mapped_column(String(256))  # None: cannot log in
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set with a one-time or admin-reset password: nothing but a password change until done.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(128), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    idle_expires_at: Mapped[datetime] = mapped_column(index=True)
    absolute_expires_at: Mapped[datetime]


class Screening(Base):
    __tablename__ = "screenings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(128), index=True)
    upload_sha256: Mapped[str] = mapped_column(String(64))
    patient_ref_hmac: Mapped[str | None] = mapped_column(String(64), index=True)  # blind index
    # AES-GCM of the patient reference (security/patient_ref.py); NULL on rows stored before.
    patient_ref_ciphertext: Mapped[str | None] = mapped_column(String(512))
    layout: Mapped[dict[str, Any]]
    model_id: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str] = mapped_column(String(64))
    weights_sha256: Mapped[str] = mapped_column(String(64))
    model_synthetic: Mapped[bool] = mapped_column(Boolean)
    clinical: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outputs: Mapped[dict[str, Any]]
    timings_ms: Mapped[dict[str, Any]]
    images: Mapped[dict[str, Any]]  # relative paths under DATA_DIR, by image name
    # Copied out of `outputs` so lists can be filtered and exported without parsing JSON.
    scar_probability: Mapped[float] = mapped_column(Float)
    scar_band: Mapped[str] = mapped_column(String(16))
    lvef_probability: Mapped[float] = mapped_column(Float)
    lvef_band: Mapped[str] = mapped_column(String(16))


class AuditEvent(Base):
    __tablename__ = "audit_events"

    # Assigned by `audit.record` as previous + 1 under the chain lock: the id is part of the
    # hashed content, so it must be known before the row is written.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # 0: plain SHA-256 (rows from before migration 0013); 1: HMAC with the audit key.
    key_version: Mapped[int] = mapped_column(Integer, default=1)

    def chain_content(self) -> dict[str, Any]:
        """What the hash covers: every field but the hashes, times as UTC ISO strings."""
        return {
            "id": self.id,
            "at": self.at.astimezone(UTC).isoformat(),
            "actor": self.actor,
            "action": self.action,
            "object_id": self.object_id,
            "outcome": self.outcome,
            "request_id": self.request_id,
        }
