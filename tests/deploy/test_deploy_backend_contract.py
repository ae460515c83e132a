"""The backend container's contract, exercised without Docker on this machine's PostgreSQL.

The backend image runs `scripts/backend.sh migrate|serve` with the environment that
docker-compose.yml and .env.example give it. Here the same script runs with that same
environment, changed only where a container differs from this machine (database host, data
folder, loopback address and a free port), and the health checks are the very commands written
in Dockerfile.backend and docker-compose.yml.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_files import DOCKERFILES, REPO, load_compose, parse_dockerfile, parse_env_file, seconds
from support.ports import free_port
from support.services import pg_database

SCRIPT = REPO / "scripts" / "backend.sh"
SECRET = "0123456789abcdef" * 4


def compose_backend() -> dict:  # type: ignore[type-arg]
    env = dict(parse_env_file().values)
    env.update(MTECG_SECRET_KEY=SECRET, POSTGRES_PASSWORD="pw")
    return load_compose(env)["services"]["backend"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with pg_database("mtecg_deploy") as url:
        yield url


@pytest.fixture(scope="module")
def container_env(database: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The backend container's environment (env_file .env + compose's environment + image ENV),
    with what only a container has replaced by this machine's equivalent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MTECG_")}
    env.update(
        {
            k: v
            for k, v in parse_dockerfile(DOCKERFILES["backend"]).final.env().items()
            if k.startswith("MTECG_")
        }
    )
    env.update({k: v for k, v in parse_env_file().values.items() if k.startswith("MTECG_")})
    env.update(
        {k: str(v) for k, v in compose_backend()["environment"].items() if k.startswith("MTECG_")}
    )
    assert env["MTECG_REQUIRE_SECRET_KEY"] == "true" and env["MTECG_SECRET_KEY"] == SECRET
    model = REPO / "models" / Path(env["MTECG_MODEL_DIR"]).name
    env.update(
        MTECG_DATABASE_URL=database,  # compose: the `postgres` service
        MTECG_DATA_DIR=str(tmp_path_factory.mktemp("data")),  # compose: the mtecg-data volume
        # compose: on the same volume (a path of the container's, not of this machine)
        MTECG_AUDIT_CHECKPOINT_FILE=str(tmp_path_factory.mktemp("audit") / "checkpoints.jsonl"),
        MTECG_MODEL_DIR=str(model),  # compose: ./models mounted read-only at /models
        MTECG_HOST="127.0.0.1",  # compose: 0.0.0.0 inside the container's own network
        MTECG_PORT=str(free_port()),
        MTECG_SANDBOX_WORKERS="1",
    )
    env.pop("MTECG_BIN", None)
    return env


def run(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def healthchecks(env: dict[str, str]) -> list[list[str]]:
    """The probe of Dockerfile.backend and of docker-compose.yml, as commands to run here."""
    image = parse_dockerfile(DOCKERFILES["backend"]).final.last("HEALTHCHECK")
    assert image is not None
    compose = compose_backend()["healthcheck"]["test"]
    assert compose[0] == "CMD"
    probe = compose[1:]
    probe[-1] = probe[-1].replace(":8000/", f":{env['MTECG_PORT']}/")
    return [[sys.executable, *image.exec_form()[1:]], [sys.executable, *probe[1:]]]  # type: ignore[index]


def test_serve_refuses_to_start_without_the_secret(container_env: dict[str, str]) -> None:
    env = dict(container_env)
    env.pop("MTECG_SECRET_KEY")
    started = time.monotonic()
    result = run([str(SCRIPT), "serve"], env, timeout=120)
    assert result.returncode != 0
    assert "MTECG_SECRET_KEY" in result.stdout + result.stderr
    assert time.monotonic() - started < 120


@pytest.mark.slow
def test_migrate_then_serve_like_the_compose_services(container_env: dict[str, str]) -> None:
    env = container_env
    # The migrate service runs on every `docker compose up`: it must be repeatable.
    for _ in range(2):
        result = run([str(SCRIPT), "migrate"], env)
        assert result.returncode == 0, result.stderr[-2000:]

    server = subprocess.Popen(
        [str(SCRIPT), "serve"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        probes = healthchecks(env)
        start_period = seconds(compose_backend()["healthcheck"]["start_period"])
        deadline = time.monotonic() + start_period
        while True:
            assert server.poll() is None, server.stderr.read()[-2000:] if server.stderr else ""
            if run(probes[0], env, timeout=10).returncode == 0:
                break
            assert time.monotonic() < deadline, "not live within the healthcheck's start_period"
            time.sleep(0.5)
        for probe in probes:
            assert run(probe, env, timeout=10).returncode == 0, probe

        # The documented admin commands (docker compose exec backend mtecg ...) on this database.
        mtecg = str(REPO / ".venv" / "bin" / "mtecg")
        users = run([mtecg, "users", "list", "--json"], env)
        assert users.returncode == 0 and "admin" in users.stdout, users.stderr
        audit = run([mtecg, "audit", "verify"], env)
        assert audit.returncode == 0, audit.stdout + audit.stderr

        # docker stop: SIGTERM to the container's main process (backend.sh execs mtecg serve),
        # which must end well within stop_grace_period.
        grace = seconds(compose_backend()["stop_grace_period"])
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=grace)
        # uvicorn shuts down gracefully, then re-raises the signal: -15 is a clean stop.
        assert server.returncode in (0, -signal.SIGTERM), stderr[-2000:]
        assert "Application shutdown complete" in stderr
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    # The first start printed the bootstrap admin's one-time password on stdout, once.
    lines = [line for line in stdout.splitlines() if "one-time password" in line]
    assert len(lines) == 1, stdout[-2000:]
    assert "one-time password" not in stderr
