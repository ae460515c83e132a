"""The worker template: one clean interpreter that loads the decoders once and forks workers.

Started by `Sandbox` as ``python -P -m mtecg.ingest.zygote FD`` (fork+exec, minimal
environment, like a worker used to be) with a control socket on FD. Importing PyMuPDF, NumPy,
OpenCV and SciPy costs 2-3 s of CPU; paid here once, a new worker is an ``os.fork()`` of this
process (a few milliseconds) instead of a fresh interpreter, for the first worker of every pool
and for every replacement after a crash, a timeout or a CPU-limit kill.

Why a fork of this process is as isolated as a fresh interpreter:

- it never sees untrusted bytes: its only input is the parent's requests (limits, `sys.path`
  and the new worker's socket), and a worker closes the control socket as its first act, so a
  worker that a hostile file has taken over cannot ask for anything;
- it is single-threaded when it forks (checked before every fork; imports start no thread pools
  with ``OMP_NUM_THREADS=1`` and the like), so no lock can be inherited held;
- it holds no file descriptor but the control socket, the server's pidfd and, during a fork,
  the one new worker's socket: a worker cannot reach its siblings' sockets;
- every worker applies its own limits after the fork (`worker.serve`), exactly as before.

What forked workers share is the template's memory layout (ASLR offsets) and the state of the
libraries at import time. A worker already served many jobs with one layout, so a file that
learns addresses in one job could already use them in the next; sharing across workers adds
little to that.

Protocol on the control socket (SOCK_SEQPACKET, one message per packet, file descriptors sent
with SCM_RIGHTS):

- template -> parent at start: ``b"ready"`` or ``b"startup_error"``
- parent -> template: pickled ``(memory_bytes, cpu_seconds, sys_path)`` + the worker's socket
- template -> parent: the worker's pid in ASCII + a pidfd for it (the parent kills and waits
  through the pidfd: the worker is the template's child, not the parent's)

The template exits when the parent dies (its pidfd becomes readable) or closes the socket.
Children are reaped by the kernel (SIGCHLD ignored); their exit status is not kept.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import socket
import sys
from multiprocessing.connection import Connection
from typing import Final

from mtecg.ingest import worker

#: Longest request: two numbers and `sys.path`.
_MAX_REQUEST: Final = 1 << 16


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1  # no /proc: nothing to check with


def _fork_worker(control: socket.socket, server: int) -> bool:
    """Serve one request; False when the parent has hung up."""
    message, fds, _, _ = socket.recv_fds(control, _MAX_REQUEST, 1)
    if not message or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        return False
    memory_bytes, cpu_seconds, sys_path = pickle.loads(message)  # the parent is trusted
    if _threads() != 1:
        os.close(fds[0])
        raise RuntimeError("the worker template is not single-threaded")
    pid = os.fork()
    if pid == 0:
        try:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            sys.path[:] = sys_path
            worker.serve(Connection(fds[0]), memory_bytes, cpu_seconds, server)
        finally:
            os._exit(0)
    os.close(fds[0])
    pidfd = os.pidfd_open(pid)
    try:
        socket.send_fds(control, [str(pid).encode("ascii")], [pidfd])
    finally:
        os.close(pidfd)
    return True


def main(argv: list[str]) -> None:
    """Entry point: ``FD`` (the control socket)."""
    control = socket.socket(fileno=int(argv[0]))
    parent = os.getppid()
    server = os.pidfd_open(parent)
    if os.getppid() != parent:  # the parent died before we held it
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
    try:
        worker.load_libraries()
        if _threads() != 1:
            raise RuntimeError("importing the decoders started threads")
    except Exception:
        control.sendall(b"startup_error")
        return
    control.sendall(b"ready")
    while True:
        readable, _, _ = select.select([control.fileno(), server], [], [])
        if server in readable or not _fork_worker(control, server):
            return


if __name__ == "__main__":
    main(sys.argv[1:])
