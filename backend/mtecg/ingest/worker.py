"""The sandbox worker process: runs one pickled job at a time under resource limits.

Started by `Sandbox` as ``python -m mtecg.ingest.worker FD MEMORY_BYTES CPU_SECONDS`` with a
socket on FD. Protocol, one pickled tuple per message:

- worker -> parent at start: ("ready", None) or ("startup_error", "<exception type>")
- parent -> worker: (fn, args)
- worker -> parent: ("ok", result) | ("rejection", Rejection) | ("memory", None)
  | ("error", "<exception type>")

Only exception type names leave the worker: messages can quote the file being parsed.
"""

from __future__ import annotations

import math
import os
import pickle
import resource
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from mtecg.errors import Rejection

#: How often the watchdog checks that the parent is still alive.
_WATCHDOG_S = 1.0


def _watch_parent(parent: int) -> None:
    """Exit when the parent dies, even mid-job (a job stuck in a sleep uses no CPU time)."""
    while os.getppid() == parent:
        time.sleep(_WATCHDOG_S)
    os._exit(1)


def _cap(kind: int, soft: int) -> None:
    """Set a soft limit, never above the hard limit we were given."""
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


def _arm_cpu_limit(cpu_seconds: float) -> None:
    """SIGXCPU once this job has used `cpu_seconds` more CPU than the worker has so far.

    RLIMIT_CPU counts the process's whole life, so the limit is re-armed before every job.
    Only the soft limit moves (an unprivileged process cannot raise its hard limit again), and
    SIGXCPU's default action ends the process.
    """
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _cap(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime + cpu_seconds))


def _run(job: bytes) -> tuple[str, Any]:
    try:
        fn, args = pickle.loads(job)
        return "ok", fn(*args)
    except Rejection as rejection:
        return "rejection", rejection
    except MemoryError:
        return "memory", None
    except Exception as exc:
        return "error", type(exc).__name__


def serve(conn: Connection, memory_bytes: int, cpu_seconds: float) -> None:
    """Load the decoders, cap the process, then serve jobs until the parent hangs up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        # pandas (imported by wfdb) loads pyarrow when it is installed (`mtecg batch` writes
        # Parquet with it), and pyarrow reserves over 1 GB of address space, which would eat
        # the cap below: the worker reads no Parquet, so pandas is told pyarrow is absent.
        sys.modules["pyarrow"] = None  # type: ignore[assignment]
        # What every printout and image needs (PyMuPDF, OpenCV, the layout stage's SciPy) is
        # imported before the address-space cap, so the cap is spent on jobs, not libraries.
        # The waveform readers' libraries (wfdb with pandas, pydicom, edfio, sierraecg,
        # defusedxml) are imported by the reader of the sniffed kind when such a file comes:
        # they are a quarter of a worker's start-up CPU and about 60 MB of address space,
        # well inside the cap, and most uploads are printouts.
        import pymupdf

        import mtecg.ingest
        import mtecg.preprocess  # noqa: F401  (the layout stage: SciPy)

        # MuPDF messages can quote the file (stderr is discarded too; this saves the work).
        pymupdf.TOOLS.mupdf_display_errors(False)  # type: ignore[no-untyped-call]
        pymupdf.TOOLS.mupdf_display_warnings(False)  # type: ignore[no-untyped-call]
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a core dump would hold the upload
        _cap(resource.RLIMIT_AS, memory_bytes)
    except Exception as exc:
        conn.send(("startup_error", type(exc).__name__))
        return
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv_bytes()
        except (EOFError, OSError):
            return
        _arm_cpu_limit(cpu_seconds)
        reply = _run(job)
        del job
        try:
            conn.send(reply)
        except Exception as exc:  # unpicklable or too large a result
            del reply
            conn.send(("error", type(exc).__name__))


def main(argv: list[str]) -> None:
    """Entry point: ``FD MEMORY_BYTES CPU_SECONDS``."""
    fd, memory_bytes, cpu_seconds = int(argv[0]), int(argv[1]), float(argv[2])
    serve(Connection(fd), memory_bytes, cpu_seconds)


if __name__ == "__main__":
    main(sys.argv[1:])
