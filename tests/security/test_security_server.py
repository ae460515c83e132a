"""Attacks that need the real server (`scripts/backend.sh serve`: uvicorn, h11, one worker),
bounded in time and count, loopback only:

- item 2: eight uploads sending one byte a second (the default queue size) do not keep a
  normal upload from being screened meanwhile, and each is cut off with 408 request_timeout;
- item 8: a request head over the limit is refused without the server growing, and a head
  that trickles in (slowloris) is closed after the header deadline;
- item 7: a path with %0a does not forge a line in the server's log;
- item 11: the database, its WAL, image folders and files, the generated key (outside
  DATA_DIR) and the audit checkpoints are owner-only;
- item 12: a client that hangs up mid-upload costs one log line, not a traceback.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from support.reliability_harness import Deployment, Server, api_key, deployment, migrate

SLOW_CLIENTS = 8  # = the default MTECG_QUEUE_SIZE
GRACE_S = 12.0
HEADER_TIMEOUT_S = 3.0
BOUND_S = 60.0


PART_HEAD = (
    b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="ecg.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n"
)


@dataclass
class SlowOutcome:
    status: str = ""
    seconds: float = 0.0


def port_of(dep: Deployment) -> int:
    return int(dep.env["MTECG_PORT"])


def head(dep: Deployment, key: str, length: int, extra: str = "") -> bytes:
    return (
        "POST /api/v1/screenings HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port_of(dep)}\r\n"
        f"Authorization: Bearer {key}\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


def slow_upload(dep: Deployment, key: str, out: SlowOutcome, stop: threading.Event) -> None:
    """Sends a head, then a valid multipart body one byte a second until answered."""
    started = time.monotonic()
    body = iter(PART_HEAD + b"%PDF-1.7\n" + b"0" * 100_000)
    with socket.create_connection(("127.0.0.1", port_of(dep)), timeout=BOUND_S) as sock:
        sock.sendall(head(dep, key, 100_000))
        sock.settimeout(1.0)
        while time.monotonic() - started < BOUND_S and not stop.is_set():
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                with contextlib.suppress(OSError):
                    sock.sendall(bytes([next(body)]))
                continue
            except OSError:
                answer = b""
            sock.settimeout(5.0)
            with contextlib.suppress(OSError):
                while chunk := sock.recv(4096):  # Connection: close: read to the end
                    answer += chunk
            out.status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
            out.seconds = time.monotonic() - started
            body = answer.split(b"\r\n\r\n", 1)[-1]
            if b"request_timeout" in body:
                out.status += " request_timeout"
            return


def closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(65536) == b"" or True
    except TimeoutError:
        return False
    except OSError:
        return True


def test_slow_clients_oversized_and_trickling_heads_logs_and_file_modes(
    tmp_path: Path, package: Path, ecg_pdf: bytes
) -> None:
    dep = deployment(
        tmp_path,
        f"sqlite:///{tmp_path / 'mtecg.db'}",
        package,
        queue_size=8,
        body_grace_s=GRACE_S,
        header_timeout_s=HEADER_TIMEOUT_S,
    )
    del dep.env["MTECG_SECRET_KEY"]  # the service makes its own, in KEY_DIR
    migrate(dep)
    key = api_key(dep, "mallory")
    server = Server(dep, tmp_path / "server.log")
    server.start()
    try:
        base = dep.base
        # -- item 2: the slow-body attack with the default queue size ----------------------
        outcomes = [SlowOutcome() for _ in range(SLOW_CLIENTS)]
        stop = threading.Event()
        threads = [
            threading.Thread(target=slow_upload, args=(dep, key, o, stop), daemon=True)
            for o in outcomes
        ]
        for thread in threads:
            thread.start()
        time.sleep(2.0)  # every slow client has sent its head and holds a place
        normal_started = time.monotonic()
        with httpx.Client(timeout=BOUND_S) as client:
            normal = client.post(
                f"{base}/api/v1/screenings",
                files={"file": ("ecg.pdf", ecg_pdf, "application/pdf")},
                headers={"Authorization": f"Bearer {key}"},
            )
        still_attacking = sum(1 for o in outcomes if not o.status)
        normal_s = time.monotonic() - normal_started
        assert normal.status_code == 201, normal.text
        assert still_attacking == SLOW_CLIENTS, (normal_s, outcomes)
        for thread in threads:
            thread.join(timeout=BOUND_S + 5)
        stop.set()
        print(f"slow clients: {[(o.status, round(o.seconds, 1)) for o in outcomes]}")
        for outcome in outcomes:
            assert outcome.status.startswith("HTTP/1.1 408"), outcome
            assert outcome.status.endswith("request_timeout"), outcome
            assert GRACE_S - 1 <= outcome.seconds < GRACE_S + 15, outcome

        # -- item 8: an oversized head; a trickling head -----------------------------------
        rss_before = server.memory()[0]
        with socket.create_connection(("127.0.0.1", port_of(dep)), timeout=10) as sock:
            sock.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
            with contextlib.suppress(OSError):
                for _ in range(64):  # up to 64 MiB, but the server hangs up long before
                    sock.sendall(b"a" * 2**20)
            sock.settimeout(10)
            with contextlib.suppress(OSError):
                answer = sock.recv(4096)
                assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:80]
        assert server.memory()[0] - rss_before < 64 * 2**20
        with socket.create_connection(("127.0.0.1", port_of(dep)), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            closed = False
            while time.monotonic() - started < 15 and not closed:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-Trickle: 1\r\n")
                closed = closed_within(sock, 1.0)
            assert closed, "a trickling request head was never cut off"
            assert time.monotonic() - started < HEADER_TIMEOUT_S + 5

        # -- item 12: a client that hangs up mid-upload ------------------------------------
        with socket.create_connection(("127.0.0.1", port_of(dep)), timeout=10) as sock:
            sock.sendall(head(dep, key, 100_000) + PART_HEAD + b"x" * 1000)
            time.sleep(0.5)
        time.sleep(1.0)

        # -- item 7: a newline in the path -------------------------------------------------
        assert httpx.get(f"{base}/api/v1/x%0a2026-01-01 00:00:00 INFO forged").status_code == 404
        assert httpx.get(f"{base}/readyz").status_code == 200
    finally:
        server.stop()
    log = server.log_text()
    assert not any(line.startswith("2026-01-01 00:00:00 INFO forged") for line in log.splitlines())
    assert "\\x0a2026-01-01" in log
    assert "Traceback" not in log, log[-3000:]
    assert log.count("client disconnected") == 1

    # -- item 11: everything the service wrote is owner-only ------------------------------
    data, keys = Path(dep.env["MTECG_DATA_DIR"]), Path(dep.env["MTECG_KEY_DIR"])
    written = [tmp_path / "mtecg.db", keys, keys / "secret_key", data]
    written += [Path(dep.env["MTECG_AUDIT_CHECKPOINT_FILE"])]
    written += [p for p in data.rglob("*")]
    assert any(p.suffix == ".png" for p in written)
    assert not (data / "secret_key").exists()
    for path in written:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
