"""Passwords, API keys and the audit hash chain."""

from __future__ import annotations

import time

import pytest

from mtecg.security.api_keys import key_matches, new_api_key, parse_api_key
from mtecg.security.audit_chain import GENESIS, KEYED, row_hash, verify_chain
from mtecg.security.passwords import WeakPasswordError, hash_password, verify_password

KEY = b"k" * 32


def test_passwords_are_argon2id_and_verify() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    with pytest.raises(WeakPasswordError):
        hash_password("short")


def test_unknown_user_costs_as_much_as_a_wrong_password() -> None:
    stored = hash_password("correct horse battery")

    def cost(h: str | None) -> float:
        start = time.perf_counter()
        for _ in range(3):
            assert not verify_password(h, "wrong password!!")
        return time.perf_counter() - start

    known, unknown = cost(stored), cost(None)
    assert unknown > 0.5 * known  # the dummy verification really runs


def test_api_keys_round_trip_and_reject_tampering() -> None:
    key = new_api_key()
    parsed = parse_api_key(key.token)
    assert parsed is not None and parsed[0] == key.prefix
    assert key_matches(parsed[1], key.digest)
    assert not key_matches(parsed[1] + "x", key.digest)
    assert key.digest not in key.token
    assert parse_api_key("Bearer nonsense") is None
    assert new_api_key().token != key.token


def _chain(
    contents: list[dict[str, object]],
) -> list[tuple[int, dict[str, object], str, str, int]]:
    rows, previous = [], GENESIS
    for i, content in enumerate(contents):
        current = row_hash(previous, content, KEY)
        rows.append((i, content, previous, current, KEYED))
        previous = current
    return rows


def test_audit_chain_detects_edits_deletions_and_reordering() -> None:
    contents: list[dict[str, object]] = [
        {"action": "login", "actor": "a", "outcome": "ok"},
        {"action": "create", "actor": "a", "object": "s1"},
        {"action": "view", "actor": "b", "object": "s1"},
    ]
    rows = _chain(contents)
    assert verify_chain(rows, KEY) is None
    assert verify_chain(rows, b"another key") is not None
    edited = [*rows]
    edited[1] = (1, {**contents[1], "actor": "z"}, rows[1][2], rows[1][3], KEYED)
    broken = verify_chain(edited, KEY)
    assert broken is not None and broken.position == 1 and "edited" in broken.reason
    deleted = [rows[0], rows[2]]
    broken = verify_chain(deleted, KEY)
    assert broken is not None and broken.position == 1 and "missing" in broken.reason
    assert verify_chain([rows[1], rows[0], rows[2]], KEY) is not None
