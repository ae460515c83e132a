"""The backend image installs `pip install ./backend` (not editable): the built wheel must carry
everything the service needs at run time, the Alembic migrations above all (`migrate` service).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from deploy_files import REPO

BACKEND = REPO / "backend"


def source_files() -> set[str]:
    """Package files as git sees them (tracked, or new and not ignored), relative to backend/."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "backend/mtecg"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {
        Path(f).relative_to("backend").as_posix()
        for f in listed
        if (REPO / f).is_file() and "__pycache__" not in f
    }


def test_wheel_contains_every_package_file_and_the_migrations(tmp_path: Path) -> None:
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in backend/.
    src = tmp_path / "backend"
    shutil.copytree(
        BACKEND, src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")
    )
    out = tmp_path / "wheel"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = out.glob("mtecg-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "mtecg = mtecg.cli:main" in archive.read(entry_points).decode()
    expected = source_files()
    migrations = {f for f in expected if f.startswith("mtecg/db/migrations/")}
    assert any(f.startswith("mtecg/db/migrations/versions/") for f in migrations)
    missing = sorted(expected - names)
    assert not missing, f"not in the installed package: {missing}"
