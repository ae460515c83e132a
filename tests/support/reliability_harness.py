"""A real `mtecg serve` process and real HTTP clients, for the reliability suites.

The server is started exactly as deployments start it (`scripts/backend.sh serve`, uvicorn, one
worker) in its own process group, so a SIGKILL of the group takes the sandbox workers down with
it, as a crashed container or an OOM kill would. Accounts are made with the `mtecg` CLI, and
what was stored is read back from the database and the data folder directly, not through the
API under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from tests_paths import MTECG, REPO

from mtecg.db.engine import make_engine, session_factory
from mtecg.db.models import AuditEvent, Screening
from support.ports import free_port

SCRIPT = REPO / "scripts" / "backend.sh"
UPLOAD_PATH = "/api/v1/screenings"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"


@dataclass(frozen=True)
class Deployment:
    """One service's configuration: database, data folder, model, port, as its environment."""

    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.env["MTECG_DATABASE_URL"]

    @property
    def data_dir(self) -> Path:
        return Path(self.env["MTECG_DATA_DIR"])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.env['MTECG_PORT']}"


def deployment(folder: Path, url: str, model_dir: Path, **settings: object) -> Deployment:
    """The environment of a service on `url`; `settings` are MTECG_* overrides by field name."""
    env = {
        **os.environ,
        "MTECG_DATABASE_URL": url,
        "MTECG_DATA_DIR": str(folder / "data"),
        "MTECG_KEY_DIR": str(folder / "keys"),
        "MTECG_AUDIT_CHECKPOINT_FILE": str(folder / "audit-checkpoints.jsonl"),
        "MTECG_MODEL_DIR": str(model_dir),
        "MTECG_PORT": str(free_port()),
        "MTECG_SECRET_KEY": secrets.token_hex(16),
        "MTECG_DEVICE": "cpu",
        "MTECG_SANDBOX_WORKERS": "1",
        "MTECG_QUEUE_SIZE": "16",
    }
    env.update({f"MTECG_{name.upper()}": str(value) for name, value in settings.items()})
    return Deployment(env)


def cli(dep: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs `mtecg ARGS` against the deployment's database."""
    return subprocess.run(
        [str(MTECG), *args], env=dep.env, capture_output=True, text=True, check=False, timeout=120
    )


def migrate(dep: Deployment) -> None:
    done = subprocess.run(
        [str(SCRIPT), "migrate"], env=dep.env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def api_key(dep: Deployment, username: str) -> str:
    """A new clinician and an API key for them, both made with the CLI (as an operator would)."""
    user = cli(dep, "users", "create", username, "--generate-password", "--json")
    assert user.returncode == 0, user.stdout + user.stderr
    key = cli(dep, "api-keys", "create", "--user", username, "--json")
    assert key.returncode == 0, key.stdout + key.stderr
    return str(json.loads(key.stdout)["key"])


def rss_bytes(pid: int) -> int:
    """Resident memory of one process from /proc (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def group_members(pgid: int) -> list[int]:
    """Every live process in a process group (the server and its sandbox workers)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields and int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


class Server:
    """`scripts/backend.sh serve` in its own process group; started, killed, restarted."""

    def __init__(self, dep: Deployment, log: Path) -> None:
        self.dep = dep
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, ready_timeout_s: float = 180) -> None:
        """Starts the server and waits until /readyz says 200."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(SCRIPT), "serve"],
                env=self.dep.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self.starts += 1
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.dep.base}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, self.log.read_text()[-4000:]
            time.sleep(0.2)
        raise AssertionError("server not ready in time: " + self.log.read_text()[-4000:])

    def kill(self) -> None:
        """SIGKILL to the whole group, as a crash would; waits until the server is gone."""
        assert self.process is not None
        _signal_group(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        _wait_group_gone(self.pid)

    def stop(self) -> int:
        """SIGTERM (graceful: drains admitted screenings); returns the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=90)
        finally:
            self.close()

    def close(self) -> None:
        """Whatever state it is in, nothing of it is left running."""
        if self.process is None:
            return
        if self.process.poll() is None:
            _signal_group(self.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        _signal_group(self.pid, signal.SIGKILL)  # stray sandbox workers, if any
        _wait_group_gone(self.pid)

    def memory(self) -> tuple[int, int]:
        """(server process RSS, whole process group RSS) in bytes."""
        return rss_bytes(self.pid), sum(rss_bytes(p) for p in group_members(self.pid))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _wait_group_gone(pgid: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


# -- clients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One upload as the client saw it. `status` None: no HTTP answer (refused, reset)."""

    status: int | None
    screening_id: str | None = None
    code: str | None = None
    retry_after: str | None = None
    content_type: str = ""
    seconds: float = 0.0
    error: str = ""


def upload(
    client: httpx.Client,
    dep: Deployment,
    key: str,
    data: bytes,
    filename: str = "ecg.pdf",
    timeout_s: float = 120,
) -> Outcome:
    """POSTs one file; never raises for transport failures (they are outcomes under test)."""
    started = time.perf_counter()
    try:
        response = client.post(
            f"{dep.base}{UPLOAD_PATH}",
            files={"file": (filename, data, "application/octet-stream")},
            headers={"Authorization": f"Bearer {key}"},
            timeout=timeout_s,
        )
    except httpx.TransportError as error:
        return Outcome(None, seconds=time.perf_counter() - started, error=type(error).__name__)
    seconds = time.perf_counter() - started
    body: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        body = response.json()
    return Outcome(
        response.status_code,
        screening_id=body.get("id") if response.status_code == 201 else None,
        code=body.get("code"),
        retry_after=response.headers.get("retry-after"),
        content_type=response.headers.get("content-type", ""),
        seconds=seconds,
    )


@dataclass
class Load:
    """N client threads uploading until stopped; every outcome is kept for reconciliation."""

    clients: int
    send: Callable[[httpx.Client, int], Outcome]
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Load:
        for index in range(self.clients):
            thread = threading.Thread(target=self._run, args=(index,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=180)
        assert not any(t.is_alive() for t in self._threads), "a client hung"

    def _run(self, index: int) -> None:
        with httpx.Client() as client:
            sent = 0
            while not self._stop.is_set():
                outcome = self.send(client, index + sent * self.clients)
                sent += 1
                with self._lock:
                    self.outcomes.append(outcome)
                if outcome.status is None or outcome.status == 503:
                    time.sleep(0.5)  # server down or busy: do not spin

    @property
    def acknowledged(self) -> list[str]:
        with self._lock:
            return [o.screening_id for o in self.outcomes if o.screening_id]

    def wait_for_acknowledged(self, count: int, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline, f"fewer than {count} uploads acknowledged"
            time.sleep(0.1)


# -- what was stored ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """Screening rows with their image paths, and the success audit rows of screening.create."""

    images: dict[str, dict[str, str]]  # screening id -> image name -> path under DATA_DIR
    created_audit: dict[str, int]  # screening id -> number of success audit rows


def stored(url: str) -> Stored:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as db:
            rows = db.execute(select(Screening.id, Screening.images)).all()
            audited = db.scalars(
                select(AuditEvent.object_id).where(
                    AuditEvent.action == "screening.create", AuditEvent.outcome == "success"
                )
            ).all()
    finally:
        engine.dispose()
    counts: dict[str, int] = {}
    for object_id in audited:
        counts[str(object_id)] = counts.get(str(object_id), 0) + 1
    return Stored({str(i): dict(images) for i, images in rows}, counts)


def complete_png(path: Path) -> bool:
    """The file exists and is a whole PNG (signature at the start, IEND chunk at the end)."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return data.startswith(PNG_SIGNATURE) and data.endswith(PNG_END)


def screening_folders(data_dir: Path) -> Iterator[Path]:
    """DATA_DIR/<yyyy>/<mm>/<id>/ folders, whether or not a row points at them."""
    yield from (p for p in data_dir.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*") if p.is_dir())


def audit_verify(dep: Deployment) -> subprocess.CompletedProcess[str]:
    return cli(dep, "audit", "verify", "--json")
