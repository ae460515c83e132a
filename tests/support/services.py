"""Building blocks for the service suites (api, db, reliability, deploy): databases, packages.

Real components only: SQLite files, a throwaway PostgreSQL database per use (created through the
shared `test` database and dropped afterwards), and tiny random-weight model packages.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mtecg.cli import main
from mtecg.db import migrate
from mtecg.db.engine import make_engine
from mtecg.model.package import write_package
from mtecg.settings import Settings
from support.model_builders import manifest, network_spec, random_network

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
#: The exported ONNX graphs of every app the suites start: keyed by the weights' sha256 and
#: written atomically, so the suites' processes share them and export each package once.
RUNTIME_CACHE = Path(tempfile.gettempdir()) / "mtecg-tests-runtime"


@contextmanager
def pg_database(prefix: str = "mtecg_test") -> Iterator[str]:
    """A fresh, empty PostgreSQL database with a unique name; dropped (with its connections)
    afterwards. The one way every suite gets a PostgreSQL database: they run in parallel, on a
    server other people use too. No server is a test failure, not a skip: PostgreSQL is part of
    the test environment (README), and a skipped suite would hide that half the backends went
    untested."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(f"no PostgreSQL at {PG_ADMIN}: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """An empty database of either kind, as a URL."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'mtecg.db'}"
    else:
        with pg_database() as url:
            yield url


def migrated(url: str) -> str:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@dataclass(frozen=True)
class CliDatabase:
    """An empty database the `mtecg` service commands of a test use, and its checkpoint file."""

    url: str
    checkpoints: Path


@pytest.fixture(params=BACKENDS)
def cli_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliDatabase]:
    """An empty database of each kind, with what `mtecg` service commands read pointed at it
    and at keys and audit checkpoints in `tmp_path` (never the machine's own). A fixture that
    conftest modules re-export: tests/db and tests/security."""
    with database(request.param, tmp_path) as url:
        checkpoints = tmp_path / "checkpoints.jsonl"
        monkeypatch.setenv("MTECG_DATABASE_URL", url)
        monkeypatch.setenv("MTECG_KEY_DIR", str(tmp_path / "keys"))
        monkeypatch.setenv("MTECG_AUDIT_CHECKPOINT_FILE", str(checkpoints))
        yield CliDatabase(url, checkpoints)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    """`mtecg ARGV --json` in this process: its exit status and the JSON object it printed."""
    status = main([*argv, "--json"])
    return status, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def tiny_package(folder: Path, clinical: bool = False) -> Path:
    """A random-weight package with a 64 px input: real loading and inference, fast."""
    spec = network_spec(clinical=clinical)
    return write_package(folder, random_network(spec), manifest(spec, size=64))


def settings(url: str, data_dir: Path, model_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "data_dir": data_dir,
        "model_dir": model_dir,
        "secret_key": "test-secret-key",
        "key_dir": data_dir.parent / "keys",
        # TestClient's host; the public origins the tests' browsers come from.
        "allowed_hosts": ["testserver"],
        "trusted_proxies": ["testclient"],  # TestClient's peer plays the web app's proxy
        "allowed_origins": ["http://testserver", "https://ecg.hospital.example"],
        "audit_checkpoint_file": data_dir.parent / "audit-checkpoints.jsonl",
        "runtime_cache_dir": RUNTIME_CACHE,
        "sandbox_workers": 1,
        "queue_size": 16,
        "device": "cpu",
        **overrides,
    }
    return Settings(**values)
