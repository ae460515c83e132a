"""Password hashing with argon2id, and a constant-cost check that does not reveal users.

A login for an unknown user still spends one argon2 verification (against a fixed dummy
hash), so response time does not tell an attacker which user names exist.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _HASHER.hash("mtecg-dummy-password-for-unknown-users")
MIN_LENGTH = 12


class WeakPasswordError(ValueError):
    """The password does not meet the minimum policy."""


def hash_password(password: str) -> str:
    """An argon2id hash of a password that meets the policy (at least 12 characters)."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; `stored_hash=None` (no such user) costs the same and fails."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with older parameters and should be replaced at login."""
    return _HASHER.check_needs_rehash(stored_hash)
