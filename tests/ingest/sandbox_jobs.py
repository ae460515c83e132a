"""Jobs for sandbox tests: module-level functions a worker can import by name.

The worker imports this module as ``sandbox_jobs``: pytest puts tests/ingest on sys.path (the
test tree has no __init__.py, so "rootdir/prepend" import mode), and `Sandbox` passes its own
sys.path to workers through PYTHONPATH.
"""

from __future__ import annotations

import ctypes
import os
import resource
import time
from typing import Any

import numpy as np

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import open_document


def echo(*args: Any) -> tuple[Any, ...]:
    """Return the arguments."""
    return args


def pid() -> int:
    """The worker's process id (tells whether a worker was replaced)."""
    return os.getpid()


def parent_pid() -> int:
    """The worker's parent: the worker template, not the server."""
    return os.getppid()


def canonical_sized_array() -> np.ndarray:
    """A result the size of the model's canonical image (2100 x 1402 x 3 = 8.8 MB)."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(2100, 1402, 3), dtype=np.uint8)


def reject() -> None:
    """Refuse, as ingest code does."""
    raise Rejection(RejectCode.NOT_ECG, "a test refusal")


def fail_with_secret() -> None:
    """Fail with a message that must not reach logs (as a parser quoting a file might)."""
    raise ValueError("PATIENT-NAME-SOMCHAI")


def segfault() -> None:
    """Dereference NULL."""
    ctypes.string_at(0)


def sleep_forever() -> None:
    """Hang without using CPU (only the wall-clock limit catches this)."""
    while True:
        time.sleep(60)


def spin_forever() -> None:
    """Burn CPU (RLIMIT_CPU's SIGXCPU catches this)."""
    x = 0
    while True:
        x += 1


def allocate(gib: float) -> int:
    """Allocate and touch `gib` GiB."""
    block = np.ones(int(gib * 2**30), dtype=np.uint8)
    return int(block[-1])


def return_a_function() -> Any:
    """A result the parent must refuse to unpickle (a global that is not data)."""
    return os.system


def sleep_then_pid(seconds: float) -> int:
    """Hold the worker for a while, then say which worker it was."""
    time.sleep(seconds)
    return os.getpid()


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize")


def open_with_headroom(data: bytes, headroom: int) -> tuple[str, int, int]:
    """`open_document` with the address space capped at current use + `headroom` bytes.

    Proves a refusal happens without a large allocation: had the decoder tried one, it would
    have raised MemoryError instead of a Rejection.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_vm_size() + headroom, hard))
    try:
        source = open_document(data)
        pixels = source.render()
        return source.kind, source.width, int(pixels.shape[0])
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def open_and_summarise(data: bytes) -> tuple[str, int, int, int, tuple[int, ...]]:
    """What a pipeline needs from an upload: kind, page, size and a small overview render."""
    source = open_document(data)
    overview = source.render(0.1)
    return source.kind, source.page_index, source.width, source.height, overview.shape


def burn(seconds: float) -> int:
    """Use about `seconds` of CPU, then stop."""
    end = time.process_time() + seconds
    n = 0
    while time.process_time() < end:
        n += 1
    return n


def environment_variable(name: str) -> str | None:
    """What the worker sees of an environment variable."""
    return os.environ.get(name)
