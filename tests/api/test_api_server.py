"""The real server (`scripts/backend.sh`, uvicorn, one worker) on a SQLite file: first start
prints the admin's one-time password; 16 concurrent uploads all succeed (no "database is
locked"); SIGTERM drains in-flight screenings; after SIGKILL and a restart on the same database
and data folder every acknowledged screening and its images are still there."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from support.ports import free_port
from tests_paths import REPO

SCRIPT = REPO / "scripts" / "backend.sh"


@contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    base = f"http://127.0.0.1:{env['MTECG_PORT']}"
    with log.open("ab") as out:
        process = subprocess.Popen([str(SCRIPT), "serve"], env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        else:
            raise AssertionError("server did not become ready: " + log.read_text())
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_concurrent_uploads_drain_crash_and_restart(
    tmp_path: Path, packages: dict[str, Path], ecg_pdf: bytes
) -> None:
    env = {
        **os.environ,
        "MTECG_DATABASE_URL": f"sqlite:///{tmp_path / 'mtecg.db'}",
        "MTECG_DATA_DIR": str(tmp_path / "data"),
        "MTECG_KEY_DIR": str(tmp_path / "keys"),
        "MTECG_AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
        "MTECG_MODEL_DIR": str(packages["plain"]),
        "MTECG_PORT": str(free_port()),
        "MTECG_QUEUE_SIZE": "16",
        "MTECG_SANDBOX_WORKERS": "2",
        "MTECG_DEVICE": "cpu",
    }
    migrate = subprocess.run([str(SCRIPT), "migrate"], env=env, capture_output=True, check=False)
    assert migrate.returncode == 0, migrate.stderr
    log = tmp_path / "server.log"
    acknowledged: list[str] = []

    def upload(client: httpx.Client, base: str) -> httpx.Response:
        return client.post(
            f"{base}/api/v1/screenings",
            files={"file": ("ecg.pdf", ecg_pdf, "application/pdf")},
            timeout=120,
        )

    with server(env, log) as (process, base):
        one_time = log.read_text().split("one-time password: ")[1].split()[0]
        client = httpx.Client()
        signed_in = client.post(
            f"{base}/api/v1/auth/login", json={"username": "admin", "password": one_time}
        )
        assert signed_in.status_code == 200 and signed_in.json()["must_change_password"]
        # The one-time password must be replaced before anything else works.
        assert upload(client, base).json()["code"] == "password_change_required"
        password = "a passphrase of our own choosing"
        changed = client.post(
            f"{base}/api/v1/auth/password",
            json={"current_password": one_time, "new_password": password},
        )
        assert changed.status_code == 204, changed.text
        assert (
            client.post(
                f"{base}/api/v1/auth/login", json={"username": "admin", "password": password}
            ).status_code
            == 200
        )
        with ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(lambda _: upload(client, base), range(16)))
        assert [r.status_code for r in responses] == [201] * 16, [r.text for r in responses]
        acknowledged += [r.json()["id"] for r in responses]
        # Graceful stop: uploads already admitted finish before the process exits.
        with ThreadPoolExecutor(2) as pool:
            pending = [pool.submit(upload, client, base) for _ in range(2)]
            deadline = time.monotonic() + 10
            while log.read_text().count("POST /api/v1/screenings") < 16 and (
                time.monotonic() < deadline
            ):
                time.sleep(0.05)
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            drained = [future.result() for future in pending]
        assert [r.status_code for r in drained] == [201, 201]
        acknowledged += [r.json()["id"] for r in drained]
        # uvicorn re-raises SIGTERM after its graceful shutdown, so the status says SIGTERM.
        assert process.wait(timeout=60) in (0, -signal.SIGTERM)
    assert "database is locked" not in log.read_text()

    with server(env, log) as (process, base):
        assert log.read_text().count("one-time password") == 1  # only on the first start
        client = httpx.Client()
        client.post(f"{base}/api/v1/auth/login", json={"username": "admin", "password": password})
        with ThreadPoolExecutor(4) as pool:
            pending = [pool.submit(upload, client, base) for _ in range(4)]
            first = pending[0].result()
            process.kill()  # SIGKILL mid-run
            crashed = [first] + [f.exception() or f.result() for f in pending[1:]]
        acknowledged += [
            r.json()["id"]
            for r in crashed
            if isinstance(r, httpx.Response) and r.status_code == 201
        ]

    with server(env, log) as (process, base):
        client = httpx.Client()
        client.post(f"{base}/api/v1/auth/login", json={"username": "admin", "password": password})
        for sid in acknowledged:
            row = client.get(f"{base}/api/v1/screenings/{sid}")
            assert row.status_code == 200, sid
            image = client.get(f"{base}{row.json()['images']['scar']}")
            assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert len(acknowledged) >= 19
    assert "database is locked" not in log.read_text()
