"""Password hashing with argon2id, and a constant-cost check that does not reveal users.

A login for an unknown user still spends one argon2 verification (against a fixed dummy
hash), so response time does not tell an attacker which user names exist.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _HASHER.hash("mtecg-dummy-password-for-unknown-users")
# OWASP ASVS 5.0 V6.2: at least 8 characters (15 strongly recommended; 12 here, as before),
# at least 64 allowed, no composition rules, any printable Unicode including spaces, and no
# password made of the account's own name.
MIN_LENGTH = 12
MAX_LENGTH = 128


class WeakPasswordError(ValueError):
    """The password does not meet the policy; the message says which rule."""


def check_policy(password: str, username: str | None = None) -> None:
    """Raises `WeakPasswordError` for a password the policy refuses."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"a password has at most {MAX_LENGTH} characters")
    if len(set(password)) == 1:
        raise WeakPasswordError("a password cannot be one character repeated")
    if username and username.casefold() in password.casefold():
        raise WeakPasswordError("a password cannot contain the user name")


def hash_password(password: str, username: str | None = None) -> str:
    """An argon2id hash of a password that meets the policy (`check_policy`)."""
    check_policy(password, username)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches; `stored_hash=None` (no such user) costs the same and fails."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def rehash(password: str) -> str:
    """The same (already accepted) password hashed with the current parameters."""
    return _HASHER.hash(password)


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with older parameters and should be replaced at login."""
    return _HASHER.check_needs_rehash(stored_hash)
