"""Dockerfile.backend, Dockerfile.frontend and .dockerignore, checked without a Docker engine.

Each Dockerfile is parsed (continuations, comments, ARG defaults in FROM); the checks are the
deployment's rules: pinned bases, a non-root final stage with a HEALTHCHECK, COPY sources that
exist and are in the build context, and entry scripts that are the very scripts `make run` uses.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath

import pytest
from deploy_files import (
    DOCKERFILES,
    REPO,
    Dockerfile,
    copies,
    dockerignore_spec,
    image_tag,
    is_ignored,
    is_pinned,
    load_compose_raw,
    parse_dockerfile,
)
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
ROOT_USERS = {"root", "0", "root:root", "0:0"}


@pytest.fixture(scope="module", params=sorted(DOCKERFILES))
def dockerfile(request: pytest.FixtureRequest) -> Dockerfile:
    return parse_dockerfile(DOCKERFILES[request.param])


@pytest.fixture(scope="module")
def backend() -> Dockerfile:
    return parse_dockerfile(DOCKERFILES["backend"])


@pytest.fixture(scope="module")
def frontend() -> Dockerfile:
    return parse_dockerfile(DOCKERFILES["frontend"])


def entry_script(dockerfile: Dockerfile) -> tuple[str, Path]:
    """(path in the image, file in the repository) of the final stage's ENTRYPOINT script."""
    entrypoint = dockerfile.final.last("ENTRYPOINT")
    assert entrypoint is not None, f"{dockerfile.path.name}: no ENTRYPOINT"
    argv = entrypoint.exec_form()
    assert argv, "ENTRYPOINT must use the exec form (signals reach the server)"
    in_image = argv[0]
    for copy in copies(dockerfile.final):
        if "from" in copy.flags:
            continue
        dest = copy.dest
        if dest.endswith("/"):
            dest += PurePosixPath(copy.sources[0]).name
        if dest == in_image:
            (source,) = copy.sources
            return in_image, REPO / source
    raise AssertionError(f"{dockerfile.path.name}: {in_image} is not copied from the repository")


def make_run_text() -> str:
    """The recipe of the Makefile's `run` target, plus scripts/run-local.sh when it calls it."""
    makefile = (REPO / "Makefile").read_text()
    match = re.search(r"^run:.*\n((?:\t.*\n?|\s*\n)*)", makefile, flags=re.M)
    assert match, "the Makefile has no `run` target"
    text = match.group(1)
    run_local = REPO / "scripts" / "run-local.sh"
    if "run-local.sh" in text and run_local.is_file():
        text += run_local.read_text()
    return text


# --------------------------------------------------------------------------------------------
# Both images


def test_bases_are_pinned(dockerfile: Dockerfile) -> None:
    names = set()
    for stage in dockerfile.stages:
        if stage.base in names:
            continue  # FROM an earlier stage
        assert is_pinned(stage.base), f"{dockerfile.path.name}: FROM {stage.base} is not pinned"
        if stage.name:
            names.add(stage.name)
    assert "latest" not in dockerfile.path.read_text()


def test_final_stage_runs_as_a_non_root_user(dockerfile: Dockerfile) -> None:
    user = dockerfile.final.last("USER")
    assert user is not None, f"{dockerfile.path.name}: the final stage runs as root"
    assert user.args.strip() not in ROOT_USERS
    # Nothing after USER switches back.
    after = dockerfile.final.instructions[dockerfile.final.instructions.index(user) :]
    assert all(i.keyword != "USER" or i is user for i in after)


def test_final_stage_has_a_healthcheck_without_curl(dockerfile: Dockerfile) -> None:
    check = dockerfile.final.last("HEALTHCHECK")
    assert check is not None, f"{dockerfile.path.name}: no HEALTHCHECK"
    argv = check.exec_form()
    assert argv, "HEALTHCHECK CMD in exec form"
    assert argv[0] in {"python", "node"}, "probe with the runtime the image has: no curl/wget"
    for option in ("interval", "timeout", "start-period", "retries"):
        assert f"--{option}=" in check.args
    text = dockerfile.path.read_text()
    assert not re.search(r"\b(curl|wget)\b", text.split("HEALTHCHECK")[1])


def test_healthcheck_port_is_the_exposed_port(dockerfile: Dockerfile) -> None:
    (expose,) = dockerfile.final.all("EXPOSE")
    port = expose.args.split("/")[0]
    env = dockerfile.final.env()
    check = dockerfile.final.last("HEALTHCHECK")
    assert check is not None
    probe = check.exec_form()[-1]  # type: ignore[index]
    if "MTECG_PORT" in probe:
        assert env["MTECG_PORT"] == port
    else:
        assert env["PORT"] == port and "process.env.PORT" in probe


def test_copy_sources_exist_and_are_in_the_build_context(dockerfile: Dockerfile) -> None:
    rules = dockerignore_spec()
    stage_names = dockerfile.stage_names()
    checked = 0
    for stage in dockerfile.stages:
        for copy in copies(stage):
            if "from" in copy.flags:
                assert copy.flags["from"] in stage_names, f"line {copy.line}: unknown stage"
                continue
            for source in copy.sources:
                assert "*" not in source and ".." not in source, source
                path = REPO / source
                assert path.exists(), f"{dockerfile.path.name}:{copy.line}: {source} is missing"
                assert not is_ignored(source, rules), f"{source} is excluded by .dockerignore"
                checked += 1
    assert checked


def test_copied_folders_keep_every_source_file(dockerfile: Dockerfile) -> None:
    """No committed file of a copied folder is left out of the build context by .dockerignore.

    (Untracked files are not looked at: test artefacts appear there while other suites run.)
    """
    rules = dockerignore_spec()
    for stage in dockerfile.stages:
        for copy in copies(stage):
            folders = [s for s in copy.sources if (REPO / s).is_dir() and "from" not in copy.flags]
            for folder in folders:
                listed = subprocess.run(
                    ["git", "ls-files", "--cached", folder],
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                dropped = [f for f in listed if is_ignored(f, rules) and (REPO / f).exists()]
                assert not dropped, f"left out of the build context: {dropped[:10]}"


def test_entry_script_is_the_one_make_run_uses(dockerfile: Dockerfile) -> None:
    _, script = entry_script(dockerfile)
    relative = script.relative_to(REPO).as_posix()
    assert script.is_file(), f"{relative} does not exist (yet)"
    assert os.access(script, os.X_OK), f"{relative} is not executable"
    assert relative in make_run_text(), f"`make run` does not use {relative}"


def test_entry_script_is_valid_bash_and_execs_the_server(dockerfile: Dockerfile) -> None:
    _, script = entry_script(dockerfile)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    bash = shutil.which("bash")
    assert bash
    result = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # exec: the server becomes the container's main process and gets SIGTERM on `docker stop`
    assert re.search(r"^\s*(?:[\w-]+\)\s*)?exec\s", text, flags=re.M), "the script must exec"


def test_ignored_and_secret_files_stay_out_of_the_context() -> None:
    rules = dockerignore_spec()
    for path in (
        ".env",
        ".git/config",
        ".venv/bin/python",
        "frontend/node_modules/next/package.json",
        "frontend/.next/standalone/server.js",
        "var/demo/00000.pdf",
        "tests/deploy/test_deploy_compose.py",
        "test-results/report.xml",
        "backend/mtecg/__pycache__/cli.cpython-311.pyc",
        "backend/mtecg.egg-info/PKG-INFO",
        "models/demo/weights.safetensors",
        "frontend/.env.local",
    ):
        assert is_ignored(path, rules), f"{path} would be sent to the Docker daemon"
    for path in ("backend/pyproject.toml", "scripts/backend.sh", "frontend/package-lock.json"):
        assert not is_ignored(path, rules), path


def test_dockerignore_matcher_follows_docker_rules() -> None:
    """The matcher used above: root-anchored patterns, parents, `**`, `!` and last-match-wins,
    as Docker does."""
    rules = dockerignore_spec(["a", "**/b", "!a/keep", "*.md"])
    assert is_ignored("a/x/y", rules)
    assert is_ignored("c/d/b/e", rules)
    assert not is_ignored("a/keep", rules)
    assert not is_ignored("ab", rules)
    assert not is_ignored("c/bb", rules)
    assert is_ignored("README.md", rules) and not is_ignored("docs/API.md", rules)


def test_no_compose_service_overrides_the_image_user() -> None:
    for name, service in load_compose_raw()["services"].items():
        assert service.get("user") in (None, ""), f"{name} sets user:"


# --------------------------------------------------------------------------------------------
# Backend image


def test_backend_base_is_slim_python_311(backend: Dockerfile) -> None:
    bases = {s.base for s in backend.stages}
    assert len(bases) == 1, "build and runtime stages share one base (the venv's interpreter)"
    (base,) = bases
    name, tag, _ = image_tag(base)
    assert name == "python"
    assert tag and re.fullmatch(r"3\.11\.\d+-slim(-\w+)?", tag), tag
    project = tomllib.loads((REPO / "backend" / "pyproject.toml").read_text())["project"]
    version = re.match(r"[\d.]+", tag)
    assert version and Version(version.group(0).rstrip(".")) in SpecifierSet(
        project["requires-python"]
    )


def test_backend_installs_cpu_torch_before_the_package(backend: Dockerfile) -> None:
    build = backend.stages[0]
    args = build.args()
    assert args["TORCH_INDEX"] == CPU_TORCH_INDEX, "CPU PyTorch by default"
    runs = [i.args for i in build.all("RUN")]
    torch_step = next(n for n, r in enumerate(runs) if "--index-url" in r and "torch" in r)
    assert "${TORCH_INDEX}" in runs[torch_step]
    package_step = next(n for n, r in enumerate(runs) if re.search(r"pip install \S*backend", r))
    assert torch_step < package_step
    assert not re.search(r"pip install\s+(-e|--editable)", runs[package_step])
    # The pinned versions satisfy the package's own requirement (pip then keeps them).
    project = tomllib.loads((REPO / "backend" / "pyproject.toml").read_text())["project"]
    wanted = {r.name: r.specifier for r in map(Requirement, project["dependencies"])}
    assert Version(args["TORCH_VERSION"] or "") in wanted["torch"]
    assert Version(args["TORCHVISION_VERSION"] or "") in wanted["torchvision"]


def test_backend_runs_one_server_and_no_migration(backend: Dockerfile) -> None:
    final = backend.final
    cmd = final.last("CMD")
    assert cmd is not None and cmd.exec_form() == ["serve"]
    text = DOCKERFILES["backend"].read_text()
    assert "--workers" not in text
    assert not any("migrate" in i.args or "db upgrade" in i.args for i in final.all("RUN"))
    env = final.env()
    assert env.get("MTECG_MIGRATE_ON_START", "false") == "false"
    assert env["MTECG_REQUIRE_SECRET_KEY"] == "true"
    assert env["MTECG_HOST"] == "0.0.0.0"
    assert env["PYTHONUNBUFFERED"] == "1", "the one-time admin password must reach the logs"


def test_backend_venv_is_where_backend_sh_looks(backend: Dockerfile) -> None:
    """scripts/backend.sh uses <repo>/.venv/bin/mtecg: the image's repo root is the script's .."""
    in_image, _ = entry_script(backend)
    root = PurePosixPath(in_image).parent.parent
    venv = root / ".venv"
    assert f"python -m venv {venv}" in " ".join(i.args for i in backend.stages[0].all("RUN"))
    assert any(c.flags.get("from") and c.dest == str(venv) for c in copies(backend.final))
    assert backend.final.env()["PATH"].startswith(f"{venv}/bin:")
    workdir = backend.final.last("WORKDIR")
    assert workdir is not None and workdir.args == str(root)


def test_backend_does_not_bake_models(backend: Dockerfile) -> None:
    for stage in backend.stages:
        for copy in copies(stage):
            assert not any(s.startswith("models") for s in copy.sources)
    assert is_ignored("models/demo/model.json", dockerignore_spec())
    assert backend.final.env()["MTECG_MODEL_DIR"].startswith("/models/")


def test_backend_healthcheck_probes_livez(backend: Dockerfile) -> None:
    check = backend.final.last("HEALTHCHECK")
    assert check is not None
    argv = check.exec_form()
    assert argv and argv[:2] == ["python", "-c"]
    assert "urllib.request" in argv[2] and "/livez" in argv[2]
    compile(argv[2], "<healthcheck>", "exec")


def test_gpu_build_arg_is_the_one_the_dockerfile_reads(backend: Dockerfile) -> None:
    args = load_compose_raw()["services"]["backend-gpu"]["build"]["args"]
    assert set(args) <= set(backend.stages[0].args()), "compose passes an ARG nobody reads"


# --------------------------------------------------------------------------------------------
# Frontend image


def test_frontend_base_is_pinned_node_20(frontend: Dockerfile) -> None:
    bases = {s.base for s in frontend.stages}
    assert len(bases) == 1
    (base,) = bases
    name, tag, _ = image_tag(base)
    assert name == "node" and tag
    version = re.match(r"(\d+)\.(\d+)\.(\d+)", tag)
    assert version and version.group(1) == "20", tag
    engines = json.loads((REPO / "frontend" / "package.json").read_text())["engines"]["node"]
    assert Version(version.group(0)) in SpecifierSet(engines.replace(" ", ","))


def test_frontend_is_multi_stage_deps_build_runtime(frontend: Dockerfile) -> None:
    names = [s.name for s in frontend.stages]
    assert names == ["deps", "build", "runtime"]
    deps, build, _ = frontend.stages
    assert any(i.args.strip() == "npm ci" for i in deps.all("RUN"))
    assert {s for c in copies(deps) for s in c.sources} == {
        "frontend/package.json",
        "frontend/package-lock.json",
    }
    assert any(i.args.startswith("npm run build") for i in build.all("RUN"))
    package = json.loads((REPO / "frontend" / "package.json").read_text())
    assert "next build" in package["scripts"]["build"]
    assert re.search(
        r"output:\s*[\"']standalone[\"']", (REPO / "frontend/next.config.ts").read_text()
    )
    for stage in frontend.stages:
        assert stage.env().get("NEXT_TELEMETRY_DISABLED") == "1", stage.name


def test_frontend_runtime_has_only_the_standalone_output(frontend: Dockerfile) -> None:
    runtime = frontend.final
    from_build = [c for c in copies(runtime) if c.flags.get("from")]
    assert [(c.flags["from"], c.sources) for c in from_build] == [
        ("build", ["/app/frontend/.next/standalone"])
    ]
    from_repo = [s for c in copies(runtime) if "from" not in c.flags for s in c.sources]
    assert from_repo == ["scripts/frontend.sh"]
    assert not runtime.all("RUN"), "no npm in the runtime stage"
    env = runtime.env()
    assert env["HOSTNAME"] == "0.0.0.0" and env["NODE_ENV"] == "production"


def test_frontend_sh_finds_the_standalone_server_where_the_image_puts_it(
    frontend: Dockerfile,
) -> None:
    in_image, script = entry_script(frontend)
    if not script.is_file():
        pytest.fail(f"{script.relative_to(REPO)} does not exist (yet)")
    root = PurePosixPath(in_image).parent.parent
    (standalone,) = [c.dest for c in copies(frontend.final) if c.flags.get("from")]
    assert standalone == str(root / "frontend/.next/standalone")
    assert "frontend/.next/standalone/server.js" in script.read_text()


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_entry_scripts_pass_shellcheck(dockerfile: Dockerfile) -> None:
    _, script = entry_script(dockerfile)
    result = subprocess.run(
        ["shellcheck", "--severity=error", str(script)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
