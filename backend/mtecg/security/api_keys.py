"""API keys for REST clients: shown once, stored only as a hash, looked up by a public prefix.

A key is `mtecg_<prefix>_<secret>`. The prefix (not secret) finds the row; the secret is
compared as a SHA-256 digest in constant time. Keys are random 256-bit values, so a fast hash
is enough (argon2's cost protects low-entropy passwords, not random keys).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

_SCHEME = "mtecg"


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: `token` is shown to the user once; the rest is stored."""

    token: str
    prefix: str
    digest: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def new_api_key() -> NewKey:
    """Makes a key; store `prefix` and `digest`, hand `token` to the user."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewKey(token=f"{_SCHEME}_{prefix}_{secret}", prefix=prefix, digest=_digest(secret))


def parse_api_key(token: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed token, else None (non-ASCII tokens included: no key
    this module makes has any, and hashing them would fail)."""
    if not token.isascii():
        return None
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != _SCHEME or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def key_matches(secret: str, stored_digest: str) -> bool:
    """Constant-time comparison of a presented secret with the stored digest."""
    return hmac.compare_digest(_digest(secret), stored_digest)
