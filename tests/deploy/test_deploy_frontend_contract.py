"""The frontend image's runtime stage, rebuilt as a folder and run without Docker.

The runtime stage of Dockerfile.frontend holds only the standalone output and
scripts/frontend.sh. Here exactly the files its COPY lines name are laid out the same way in a
temporary folder, the script runs with the image's environment (loopback instead of 0.0.0.0, a
free port), and the health checks are the commands of Dockerfile.frontend and docker-compose.yml.
Skipped when the web app has not been built (`make build` / `npm run build`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path, PurePosixPath

import pytest
from deploy_files import (
    DOCKERFILES,
    ENV_EXAMPLE,
    REPO,
    copies,
    load_compose,
    parse_dockerfile,
    parse_env_file,
    seconds,
)
from support.ports import free_port

STANDALONE = REPO / "frontend" / ".next" / "standalone"


def compose_frontend() -> dict:  # type: ignore[type-arg]
    env = dict(parse_env_file(ENV_EXAMPLE).values)
    env.update(MTECG_SECRET_KEY="x" * 64, POSTGRES_PASSWORD="pw")
    return load_compose(env)["services"]["frontend"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def image_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime stage's files, at the paths the Dockerfile puts them (under a temp root)."""
    if not (STANDALONE / "server.js").is_file() or shutil.which("node") is None:
        pytest.skip("the web app is not built (frontend/.next/standalone) or node is missing")
    root = tmp_path_factory.mktemp("image")
    final = parse_dockerfile(DOCKERFILES["frontend"]).final
    for copy in copies(final):
        (source,) = copy.sources
        if copy.flags.get("from") == "build":
            # /app/frontend/... in the build stage is frontend/... here
            src = REPO / PurePosixPath(source).relative_to("/app")
        else:
            assert "from" not in copy.flags
            src = REPO / source
        dest = root / PurePosixPath(copy.dest).relative_to("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest, symlinks=True)
        else:
            shutil.copy2(src, dest)
    return root


def test_runtime_stage_files_serve_the_app(image_root: Path) -> None:
    final = parse_dockerfile(DOCKERFILES["frontend"]).final
    entrypoint = final.last("ENTRYPOINT")
    check = final.last("HEALTHCHECK")
    assert entrypoint is not None and check is not None
    script = image_root / PurePosixPath(entrypoint.exec_form()[0]).relative_to("/")  # type: ignore[index]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("HOSTNAME", "PORT", "NODE_OPTIONS")}
    env.update(final.env())
    env.update({k: str(v) for k, v in compose_frontend()["environment"].items()})
    assert env["HOSTNAME"] == "0.0.0.0"
    env.update(
        HOSTNAME="127.0.0.1",  # the image binds 0.0.0.0 inside its own network namespace
        PORT=str(port),
        MTECG_BACKEND_URL=f"http://127.0.0.1:{free_port()}",  # no backend: /api answers 5xx
    )
    probes = [
        check.exec_form(),
        [p.replace(":3000/", f":{port}/") for p in compose_frontend()["healthcheck"]["test"][1:]],
    ]
    server = subprocess.Popen(
        [str(script)],
        env=env,
        cwd=image_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + seconds(compose_frontend()["healthcheck"]["start_period"])
        while subprocess.run(probes[0], env=env, capture_output=True, timeout=10).returncode:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "not healthy within start_period"
            time.sleep(0.5)
        for probe in probes:
            assert subprocess.run(probe, env=env, capture_output=True, timeout=10).returncode == 0

        # The static assets are inside the standalone folder (copied by `npm run build`).
        static = next((image_root / "app/frontend/.next/standalone/.next/static").rglob("*.js"))
        relative = static.relative_to(image_root / "app/frontend/.next/standalone/.next")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_next/{relative.as_posix()}") as r:
            assert r.status == 200 and r.read()

        grace = seconds(compose_frontend()["stop_grace_period"])
        server.send_signal(signal.SIGTERM)  # docker stop; frontend.sh execs node
        server.communicate(timeout=grace)
        assert server.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.communicate()
