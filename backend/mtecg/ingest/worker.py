"""A sandbox worker: runs one pickled job at a time under resource limits.

Workers are forked by the worker template (`zygote`), which has called `load_libraries` once;
each worker then runs `serve` on its own socket. Protocol, one pickled tuple per message:

- worker -> parent at start: ("ready", None)
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
import select
import signal
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from mtecg.errors import Rejection


def _watch_server(server: int) -> None:
    """Exit when the server dies, even mid-job (a job stuck in a sleep uses no CPU time).

    `server` is a pidfd: it becomes readable when that process ends.
    """
    select.select([server], [], [])
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


def load_libraries() -> None:
    """Import what every printout and image needs, once, in the worker template."""
    # pandas (imported by wfdb) loads pyarrow when it is installed (`mtecg batch` writes
    # Parquet with it), and pyarrow reserves over 1 GB of address space, which would eat
    # the cap: the worker reads no Parquet, so pandas is told pyarrow is absent.
    sys.modules["pyarrow"] = None  # type: ignore[assignment]
    # PyMuPDF, OpenCV and the layout stage's SciPy are imported before the fork, so each
    # worker's address-space cap is spent on jobs, not libraries. The waveform readers'
    # libraries (wfdb with pandas, pydicom, edfio, sierraecg, defusedxml) are imported by the
    # reader of the sniffed kind when such a file comes: about 60 MB of address space, well
    # inside the cap, and most uploads are printouts.
    import pymupdf
    import pytesseract  # noqa: F401  (label OCR, `mtecg.layout.label_ocr`: pandas)
    import scipy.ndimage  # the layout stage's rows (`mtecg.layout.rows`)
    import scipy.signal  # noqa: F401

    import mtecg.ingest
    import mtecg.preprocess  # noqa: F401  (the layout stage)

    # MuPDF messages can quote the file (stderr is discarded too; this saves the work).
    pymupdf.TOOLS.mupdf_display_errors(False)  # type: ignore[no-untyped-call]
    pymupdf.TOOLS.mupdf_display_warnings(False)  # type: ignore[no-untyped-call]


def serve(conn: Connection, memory_bytes: int, cpu_seconds: float, server: int) -> None:
    """Cap this (freshly forked) process, then serve jobs until the server hangs up.

    `server` is a pidfd of the server process: the worker exits when it dies.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    threading.Thread(target=_watch_server, args=(server,), daemon=True).start()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a core dump would hold the upload
    _cap(resource.RLIMIT_AS, memory_bytes)
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
