"""Readiness and overload: a bad model or a database that is down leaves the process live and
not ready (saying why); a full queue answers 503 with Retry-After at once."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from support.api_client import Running, bearer, started
from support.services import PG_ADMIN, database, migrated


def not_ready(running: Running) -> str:
    assert running.client.get("/livez").json() == {"status": "live"}
    response = running.client.get("/readyz")
    assert response.status_code == 503 and response.json()["code"] == "not_ready"
    return str(response.json()["detail"])


def test_missing_model_package_is_live_not_ready(tmp_path: Path, ecg_pdf: bytes) -> None:
    with (
        database("sqlite", tmp_path) as url,
        started(migrated(url), tmp_path / "data", tmp_path / "no-such-model") as running,
    ):
        assert "missing" in not_ready(running)
        key = running.user("ann")
        upload = running.upload(key, ecg_pdf)
        assert upload.status_code == 503 and upload.json()["code"] == "not_ready"
        assert running.client.get("/api/v1/model").status_code == 503


def test_model_with_wrong_sha256_is_live_not_ready(
    tmp_path: Path, packages: dict[str, Path]
) -> None:
    broken = shutil.copytree(packages["plain"], tmp_path / "broken")
    weights = broken / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with (
        database("sqlite", tmp_path) as url,
        started(migrated(url), tmp_path / "data", broken) as running,
    ):
        assert "sha256" in not_ready(running)


def _allow_connections(name: str, allowed: bool) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


def test_database_down_is_not_ready_and_recovers(
    tmp_path: Path, packages: dict[str, Path], ecg_pdf: bytes
) -> None:
    with database("postgresql", tmp_path) as url:
        name = url.rsplit("/", 1)[1]
        with started(migrated(url), tmp_path / "data", packages["plain"]) as running:
            key = running.user("ops")
            assert running.client.get("/readyz").status_code == 200
            _allow_connections(name, False)
            try:
                t0 = time.perf_counter()
                assert "database" in not_ready(running)
                upload = running.upload(key, ecg_pdf)
                assert upload.status_code == 503
                assert upload.json()["code"] == "database_unavailable"
                assert int(upload.headers["Retry-After"]) > 0
                assert time.perf_counter() - t0 < 4  # two requests, each within 2 s
            finally:
                _allow_connections(name, True)
            assert running.client.get("/readyz").status_code == 200
            assert running.upload(key, ecg_pdf).status_code == 201


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_full_queue_answers_503_at_once(
    backend: str, tmp_path: Path, packages: dict[str, Path], ecg_pdf: bytes
) -> None:
    with (
        database(backend, tmp_path) as url,
        started(migrated(url), tmp_path / "data", packages["plain"], queue_size=1) as running,
    ):
        key = running.user("busy")
        pool = ThreadPoolExecutor(1)
        first = pool.submit(running.upload, key, ecg_pdf)
        deadline = time.monotonic() + 10
        while running.service.admission.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert running.service.admission.in_flight == 1
        t0 = time.perf_counter()
        refused = running.client.post(
            "/api/v1/screenings",
            files={"file": ("a", ecg_pdf, "application/pdf")},
            headers=bearer(key),
        )
        elapsed = time.perf_counter() - t0
        pool.shutdown()
        assert refused.status_code == 503 and refused.json()["code"] == "overloaded"
        assert int(refused.headers["Retry-After"]) > 0
        assert elapsed < 0.5  # in-process on a shared 2-core machine; goal 100 ms
        assert first.result().status_code == 201
