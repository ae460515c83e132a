"""The audit trail's hash chain: each row's hash covers its content and the previous hash.

Editing, deleting or reordering any row changes a hash that every later row depends on, so
`mtecg audit verify` finds the first row where the chain breaks. The chain is computed over a
canonical JSON encoding (sorted keys, UTC ISO times) so it does not depend on the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def row_hash(previous: str, content: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the row's canonical JSON content."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """Where verification failed: the row's position and id, and why."""

    position: int
    row_id: Any
    reason: str


def verify_chain(rows: Iterable[tuple[Any, Mapping[str, Any], str, str]]) -> ChainBreak | None:
    """Checks rows of (id, content, previous_hash, hash) in chain order; None when intact."""
    expected_previous = GENESIS
    for position, (row_id, content, previous, stored) in enumerate(rows):
        if previous != expected_previous:
            return ChainBreak(position, row_id, "previous hash does not match (row missing?)")
        if row_hash(previous, content) != stored:
            return ChainBreak(position, row_id, "content does not match its hash (row edited?)")
        expected_previous = stored
    return None
