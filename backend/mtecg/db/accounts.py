"""Users, API keys and browser sessions: the repository functions the API and CLI share."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mtecg.db.models import ApiKey, User, UserSession
from mtecg.security.api_keys import key_matches, new_api_key, parse_api_key
from mtecg.security.passwords import hash_password

#: clinician: screens and reads their organisation's records; admin: also deletes them (one
#: organisation); sysadmin: every organisation (made only with the CLI).
ROLES: Final = ("clinician", "admin", "sysadmin")
#: A user that exists so rows can name who acted when authentication is switched off.
LOCAL_USER: Final = "local"


class AccountError(ValueError):
    """A user or key operation that cannot be done; the message says why."""


def create_user(
    session: Session,
    username: str,
    password: str | None,
    *,
    role: str = "clinician",
    organisation: str,
    display_name: str = "",
    one_time: bool = False,
) -> User:
    """Adds a user (`password=None`: one that cannot log in, e.g. the local user).

    `one_time`: the password was generated and shown to someone else, so the first sign-in
    must replace it.
    """
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 64:
        raise AccountError("a username has 1 to 64 characters")
    if find_user(session, username) is not None:
        raise AccountError(f"user {username} already exists")
    user = User(
        username=username,
        display_name=display_name or username,
        organisation=organisation,
        role=role,
        password_hash=None if password is None else hash_password(password, username),
        disabled=False,
        must_change_password=one_time,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def disable_user(session: Session, username: str) -> User:
    """Disables a user and ends their sessions; their API keys stop working with them."""
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"no user {username}")
    user.disabled = True
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return user


def set_password(session: Session, username: str, password: str, *, one_time: bool) -> User:
    """Replaces a user's password and ends their browser sessions.

    `one_time` (an administrator's reset, a generated password): the user must choose a new
    one at the next sign-in; a user's own change clears that.
    """
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"no user {username}")
    if user.password_hash is None:
        raise AccountError(f"user {username} cannot sign in with a password")
    user.password_hash = hash_password(password, username)
    user.must_change_password = one_time
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return user


def list_api_keys(session: Session, username: str | None = None) -> list[tuple[ApiKey, str]]:
    """Every key (or one user's) with its owner's name, oldest first; never the secrets."""
    query = select(ApiKey, User.username).join(User, User.id == ApiKey.user_id)
    if username is not None:
        query = query.where(User.username == username)
    return [(key, name) for key, name in session.execute(query.order_by(ApiKey.created_at))]


@dataclass(frozen=True)
class IssuedKey:
    token: str  # shown once
    key: ApiKey


def create_api_key(session: Session, username: str, label: str = "") -> IssuedKey:
    user = find_user(session, username)
    if user is None:
        raise AccountError(f"no user {username}")
    fresh = new_api_key()
    key = ApiKey(
        prefix=fresh.prefix, digest=fresh.digest, user_id=user.id, label=label, revoked=False
    )
    session.add(key)
    session.flush()
    return IssuedKey(fresh.token, key)


def revoke_api_key(session: Session, prefix: str) -> ApiKey:
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None:
        raise AccountError(f"no API key with prefix {prefix}")
    key.revoked = True
    return key


def user_for_api_key(session: Session, token: str) -> User | None:
    """The enabled owner of a valid, unrevoked key; None for anything else (the API answers
    `invalid_api_key` then, not "sign in")."""
    parsed = parse_api_key(token)
    if parsed is None:
        return None
    prefix, secret = parsed
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None or key.revoked or not key_matches(secret, key.digest):
        return None
    user = session.get(User, key.user_id)
    return None if user is None or user.disabled else user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, user: User, now: datetime, idle: timedelta, absolute: timedelta
) -> str:
    """Stores a new browser session for `user`; returns its token (the cookie value)."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_digest=_token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            idle_expires_at=min(now + idle, now + absolute),
            absolute_expires_at=now + absolute,
        )
    )
    return token


def find_session(session: Session, token: str) -> UserSession | None:
    return session.scalars(
        select(UserSession).where(UserSession.token_digest == _token_digest(token))
    ).first()


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_digest == _token_digest(token)))


def purge_expired_sessions(session: Session, now: datetime) -> int:
    """Deletes sessions past their idle or absolute expiry (they can never be used again)."""
    result = session.execute(
        delete(UserSession).where(
            (UserSession.idle_expires_at <= now) | (UserSession.absolute_expires_at <= now)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)
