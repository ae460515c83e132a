"""`mtecg.memory.trim`: freed heap memory really goes back to the system under glibc."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from mtecg.memory import trim


def _resident_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_trim_returns_freed_heap_pages() -> None:
    # 100 KB blocks come from the heap (below glibc's mmap threshold); the few kept ones pin
    # it, so the free ones between them stay resident until trimmed.
    blocks = [bytearray(b"x" * 100_000) for _ in range(2000)]
    kept = blocks[::100]
    del blocks
    before = _resident_mb()
    assert trim()
    assert before - _resident_mb() > 100
    assert all(block[0] == ord("x") for block in kept)  # what is still held stays intact
