"""Run untrusted decoding in long-lived worker processes with memory, CPU and time limits.

A crash, hang or memory blow-up in PDF rendering or image decoding must cost one request, not
the API. Workers are forked from one worker template per server process (`zygote`): a fresh
interpreter started with `subprocess` (fork+exec, so nothing of the server's threads, locks
or loaded models is inherited) with a minimal environment, which imports the decoders once.
A new worker, the first of a pool or the replacement of a crashed one, then costs a fork
(milliseconds) instead of an interpreter start and 2-3 s of imports; each worker applies its
own address-space, CPU and core limits after the fork (`worker.serve`). `multiprocessing`'s
spawn or forkserver start methods would re-import the parent's ``__main__`` (the CLI, with
whatever it imports, e.g. torch) and hand the server's environment (its secrets) to workers.

The template is supervised: a start that finds it dead starts a new one; a start that it fails
mid-request fails the call with PROCESSING_FAILED and the next start retries. Workers are the
template's children, so the server holds a pidfd for each to kill it and wait for its end.

Jobs are module-level functions, pickled with their arguments; replies are unpickled with an
allow-list (`safe_pickle`), because a worker that a hostile file has taken over must not be
able to run code in the parent.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Final, TypeVar, cast

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import safe_pickle
from mtecg.ingest.limits import DEFAULT_SANDBOX_LIMITS, SandboxLimits

T = TypeVar("T")
log = logging.getLogger(__name__)

_TEMPLATE_MODULE: Final = "mtecg.ingest.zygote"
#: Decoding is single-threaded; extra BLAS/OpenMP threads would only reserve address space.
#: OMP_THREAD_LIMIT is the one Tesseract (label OCR) obeys: its threads cost 3x the CPU time.
_WORKER_ENV: Final = {
    "OMP_NUM_THREADS": "1",
    "OMP_THREAD_LIMIT": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
#: The only variables a worker inherits: a worker taken over by a hostile file must not find
#: the API's secrets (database URL, keys) in its environment. Jobs get settings as arguments.
_INHERITED_ENV: Final = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LD_LIBRARY_PATH", "TMPDIR")


def _loggable(detail: object) -> str:
    """An exception type name from the worker, or "?" (a compromised worker could send text)."""
    return detail if isinstance(detail, str) and detail.isidentifier() else "?"


def _failed(message: str = "The file could not be processed.") -> Rejection:
    return Rejection(RejectCode.PROCESSING_FAILED, message)


class _Template:
    """The worker template process and the server's end of its control socket."""

    def __init__(self) -> None:
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {
            **{name: os.environ[name] for name in _INHERITED_ENV if name in os.environ},
            **_WORKER_ENV,
        }
        with child_end:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-P",  # no script directory or cwd on sys.path: only PYTHONPATH and site
                    "-m",
                    _TEMPLATE_MODULE,
                    str(child_end.fileno()),
                ],
                pass_fds=(child_end.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # decoder messages can quote the file
                # The template imports what the server can (jobs may live outside packages);
                # each worker gets the server's `sys.path` of the moment with its request.
                env={**env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
            )
        self.control = parent_end
        self.ready = False

    def fork_worker(self, child_end: socket.socket, limits: SandboxLimits) -> tuple[int, int]:
        """A new worker serving `child_end`: its pid and a pidfd; OSError if the template fails."""
        if not self.ready:
            self.control.settimeout(limits.startup_timeout_s)
            if self.control.recv(64) != b"ready":
                raise OSError("the worker template did not start")
            self.ready = True
        request = (limits.memory_bytes, limits.cpu_seconds, [p for p in sys.path if p])
        self.control.settimeout(limits.startup_timeout_s)
        socket.send_fds(self.control, [pickle.dumps(request)], [child_end.fileno()])
        message, fds, _, _ = socket.recv_fds(self.control, 64, 1)
        if len(fds) != 1 or not message.isdigit():
            for fd in fds:
                os.close(fd)
            raise OSError("the worker template did not fork a worker")
        return int(message), fds[0]

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        self.control.close()


_template: _Template | None = None
_template_owner = 0
_template_lock = threading.Lock()


def _live_template() -> _Template:
    """This process's template, started (not waited for) if there is none or it died."""
    global _template, _template_owner
    if _template is not None and (_template_owner != os.getpid() or not _template.alive()):
        if _template_owner == os.getpid():
            log.warning("sandbox worker template died; starting a new one")
            _template.kill()
        _template = None  # a forked server starts its own (the socket is the parent's)
    if _template is None:
        _template, _template_owner = _Template(), os.getpid()
    return _template


def _start_template() -> None:
    """Start the template now, so that its imports overlap whatever the caller does next."""
    with _template_lock:
        _live_template()


def _fork_worker(child_end: socket.socket, limits: SandboxLimits) -> tuple[int, int]:
    """Fork a worker from this process's template; a template that fails us is dropped."""
    global _template
    with _template_lock:
        template = _live_template()
        try:
            return template.fork_worker(child_end, limits)
        except OSError:
            template.kill()
            _template = None
            raise


def _pidfd_alive(pidfd: int) -> bool:
    return not select.select([pidfd], [], [], 0)[0]


class _Worker:
    """One worker process and the parent's end of its socket.

    The process is forked from the template by the thread that first uses the worker
    (`wait_ready`), so a pool's lock is never held while the template starts.
    """

    def __init__(self) -> None:
        parent_end, self._child_end = socket.socketpair()
        self.conn = Connection(parent_end.detach())
        self.pid: int | None = None
        self._pidfd: int | None = None
        self._pidfd_lock = threading.Lock()  # `close` may terminate a worker another thread uses
        self.ready = False

    def wait_ready(self, timeout_s: float, limits: SandboxLimits) -> None:
        """Block until the worker has started; PROCESSING_FAILED if it cannot."""
        if self.ready:
            return
        if self._pidfd is None:
            try:
                with self._child_end:
                    pid, pidfd = _fork_worker(self._child_end, limits)
                with self._pidfd_lock:
                    self.pid, self._pidfd = pid, pidfd
            except OSError as exc:
                log.error("sandbox worker template failed (%s)", type(exc).__name__)
                raise _failed() from exc
        if not self.conn.poll(timeout_s):
            log.error("sandbox worker did not start within %.0f s", timeout_s)
            raise _failed()
        try:
            status, detail = safe_pickle.loads(self.conn.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError, ValueError) as exc:
            log.error("sandbox worker died while starting (%s)", type(exc).__name__)
            raise _failed() from exc
        if status != "ready":
            log.error("sandbox worker failed to start: %s", _loggable(detail))
            raise _failed()
        self.ready = True

    def run(self, job: bytes, limits: SandboxLimits) -> tuple[str, Any]:
        """Send one job and return the worker's reply; Rejection if the worker fails us."""
        self.wait_ready(limits.startup_timeout_s, limits)
        try:
            self.conn.send_bytes(job)
        except OSError as exc:
            log.warning("sandbox worker gone before the job")
            raise _failed() from exc
        if not self.conn.poll(limits.timeout_s):
            self.kill()
            log.warning("sandbox job timed out after %.1f s", limits.timeout_s)
            raise Rejection(
                RejectCode.PROCESSING_TIMEOUT, "Processing the file took longer than allowed."
            )
        try:
            reply = self.conn.recv_bytes(limits.max_result_bytes)
        except (EOFError, OSError) as exc:
            # Died mid-job: segfault, SIGXCPU (CPU limit), SIGKILL (OOM killer), or a reply
            # larger than max_result_bytes.
            log.warning("sandbox worker died during a job")
            raise _failed() from exc
        try:
            status, value = safe_pickle.loads(reply)
        except Exception as exc:
            log.warning("sandbox reply refused (%s)", type(exc).__name__)
            raise _failed() from exc
        return str(status), value

    def alive(self) -> bool:
        """False once the process has ended (a worker not forked yet counts as alive)."""
        return self._pidfd is None or _pidfd_alive(self._pidfd)

    def terminate(self) -> None:
        """SIGKILL the process; a thread blocked on its socket then sees end-of-file."""
        with self._pidfd_lock:
            if self._pidfd is not None and _pidfd_alive(self._pidfd):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def kill(self) -> None:
        """End the process now and release its socket (only by the thread using the worker)."""
        self.terminate()
        with self._pidfd_lock:
            self._wait_and_release()
        self._child_end.close()
        self.conn.close()

    def _wait_and_release(self) -> None:
        if self._pidfd is not None:
            select.select([self._pidfd], [], [])
            # Readable at exit, a moment before the kernel reaps it: wait until the pid is gone.
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                try:
                    signal.pidfd_send_signal(self._pidfd, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.001)
            os.close(self._pidfd)
            self._pidfd = None


class Sandbox:
    """A pool of `workers` sandboxed processes; `call` runs one job in a free one.

    Thread-safe: concurrent callers each take a free worker, waiting while all are busy. A
    worker that fails in any way (crash, timeout, memory, unexpected exception) is killed and
    replaced at once, so the next call finds a healthy pool.
    """

    def __init__(self, limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("a sandbox needs at least one worker")
        self._limits = limits
        self._cond = threading.Condition()
        self._closed = False
        _start_template()  # workers are forked on first use; the imports start now
        self._idle = [_Worker() for _ in range(workers)]
        self._live = set(self._idle)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in a worker and return its result.

        `fn` must be a module-level function and its arguments and result picklable; the
        result may hold builtin data, NumPy arrays and `mtecg` classes (see `safe_pickle`).
        Raises the job's own `Rejection` unchanged, or PROCESSING_TIMEOUT (wall clock) or
        PROCESSING_FAILED (crash, CPU or memory limit, any other exception).
        """
        job = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        worker = self._acquire()
        healthy = False
        try:
            status, value = worker.run(job, self._limits)
            if status == "ok":
                healthy = True
                return cast(T, value)
            if status == "rejection" and isinstance(value, Rejection):
                healthy = True
                raise value
            if status == "memory":
                # Not IMAGE_TOO_LARGE: pixel caps are checked before decoding, so running out
                # of memory means something else (PDF content, a low cap) and saying "image
                # too large" would mislead.
                log.warning("sandbox job ran out of memory")
                raise _failed("Processing the file needed more memory than allowed.")
            log.warning("sandbox job failed: %s", _loggable(value))
            raise _failed()
        finally:
            self._release(worker, healthy)

    def close(self) -> None:
        """Stop every worker, idle or busy (a busy caller gets PROCESSING_FAILED)."""
        with self._cond:
            self._closed = True
            idle, busy = list(self._idle), self._live.difference(self._idle)
            self._idle.clear()
            self._live.clear()
            self._cond.notify_all()
        for worker in idle:
            worker.kill()
        for worker in busy:
            worker.terminate()  # its caller closes the socket when it sees the end

    def peak_rss_bytes(self) -> int:
        """Largest peak resident memory (VmHWM) of the live workers; 0 where /proc is absent.

        Benchmarks and health reports read it: the goal is a worker that stays small.
        """
        with self._cond:
            pids = [worker.pid for worker in self._live if worker.pid is not None]
        peaks = [_peak_rss(pid) for pid in pids]
        return max(peaks, default=0)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _acquire(self) -> _Worker:
        with self._cond:
            while not self._closed and not self._idle:
                self._cond.wait()
            if self._closed:
                raise RuntimeError("the sandbox is closed")
            worker = self._idle.pop()
            if worker.alive():
                return worker
            # Died while idle (killed from outside): replace it rather than fail this call.
            self._live.discard(worker)
            replacement = _Worker()
            self._live.add(replacement)
        worker.kill()
        return replacement

    def _release(self, worker: _Worker, healthy: bool) -> None:
        with self._cond:
            if healthy and not self._closed:
                self._idle.append(worker)
                self._cond.notify()
                return
            self._live.discard(worker)
            replacement = None if self._closed else _Worker()
            if replacement is not None:
                self._live.add(replacement)
                self._idle.append(replacement)
                self._cond.notify()
        worker.kill()


def _peak_rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_sandboxed(
    fn: Callable[..., T], *args: Any, limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS
) -> T:
    """Run one job in a one-off worker (for the CLI); the worker is stopped afterwards."""
    with Sandbox(limits, workers=1) as sandbox:
        return sandbox.call(fn, *args)
