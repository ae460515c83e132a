"""The audit trail's chain: each row's MAC covers its content and the previous row's MAC.

Keyed (HMAC-SHA256 with a key derived from the secret key, which is never in the database):
someone who can write to the database but does not hold the key cannot recompute the chain
after editing or deleting a row, so `mtecg audit verify` finds the first row where it breaks.
Rows written before the chain was keyed (migration 0013) keep their plain SHA-256 hashes; they
may only come first, and the first keyed row's MAC covers the last of them, which anchors them
too. The chain is computed over a canonical JSON encoding (sorted keys, UTC ISO times) so it
does not depend on the database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

GENESIS: Final = "0" * 64
#: `key_version` of a row: 0 plain SHA-256 (before 0013), 1 HMAC-SHA256 with the audit key.
LEGACY: Final = 0
KEYED: Final = 1
_KEY_LABEL: Final = b"mtecg audit chain v1"


def audit_key(secret_key: bytes) -> bytes:
    """The chain's key, derived from the service's secret key (one secret to keep and back up)."""
    return hmac.new(secret_key, _KEY_LABEL, hashlib.sha256).digest()


def canonical(content: Mapping[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def row_hash(previous: str, content: Mapping[str, Any], key: bytes | None) -> str:
    """HMAC-SHA256 (or, for a legacy row with `key=None`, SHA-256) over previous + content."""
    message = f"{previous}\n{canonical(content)}".encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """Where verification failed: the row's position and id, and why."""

    position: int
    row_id: Any
    reason: str


def verify_chain(
    rows: Iterable[tuple[Any, Mapping[str, Any], str, str, int]], key: bytes
) -> ChainBreak | None:
    """Checks rows of (id, content, previous_hash, hash, key_version) in order; None if intact."""
    expected_previous = GENESIS
    keyed_seen = False
    for position, (row_id, content, previous, stored, version) in enumerate(rows):
        if version == LEGACY and keyed_seen:
            return ChainBreak(position, row_id, "unkeyed row after keyed rows (row rewritten?)")
        keyed_seen = keyed_seen or version == KEYED
        if previous != expected_previous:
            return ChainBreak(position, row_id, "previous hash does not match (row missing?)")
        expected = row_hash(previous, content, key if version == KEYED else None)
        if not hmac.compare_digest(expected, stored):
            return ChainBreak(position, row_id, "content does not match its hash (row edited?)")
        expected_previous = stored
    return None
