"""Checkpoints of the audit chain's head, kept outside the database.

A keyed chain still cannot show that its newest rows were deleted: what remains is a valid,
shorter chain. So the service writes the head (latest row id and MAC) at a fixed interval and
on shutdown to an append-only file (and to the log), each line signed with the audit key.
`mtecg audit verify` then reports rows missing after the last checkpoint as truncation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtecg.security.audit_chain import canonical


@dataclass(frozen=True)
class Checkpoint:
    at: str  # UTC ISO time
    row_id: int
    row_hash: str
    mac: str

    def body(self) -> dict[str, Any]:
        return {"at": self.at, "row_id": self.row_id, "row_hash": self.row_hash}

    def signed_by(self, key: bytes) -> bool:
        return hmac.compare_digest(_mac(key, self.body()), self.mac)


def _mac(key: bytes, body: dict[str, Any]) -> str:
    return hmac.new(key, f"checkpoint\n{canonical(body)}".encode(), hashlib.sha256).hexdigest()


def sign(key: bytes, at: str, row_id: int, row_hash: str) -> Checkpoint:
    body = {"at": at, "row_id": row_id, "row_hash": row_hash}
    return Checkpoint(at, row_id, row_hash, _mac(key, body))


def append(path: Path, checkpoint: Checkpoint) -> None:
    """One JSON line, opened O_APPEND (mode 0600, folder 0700) and fsynced before returning."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = json.dumps({**checkpoint.body(), "mac": checkpoint.mac}, sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> list[Checkpoint | None]:
    """Every line in order; None for a line that is not a well-formed checkpoint."""
    if not path.is_file():
        return []
    out: list[Checkpoint | None] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            out.append(
                Checkpoint(
                    str(raw["at"]), int(raw["row_id"]), str(raw["row_hash"]), str(raw["mac"])
                )
            )
        except (ValueError, KeyError, TypeError):
            out.append(None)
    return out
