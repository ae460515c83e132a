"""Fixtures for the API suites: a running app (in-process) on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.api_client import Running, started
from support.services import BACKENDS, database, migrated, tiny_package


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory, package: Path) -> dict[str, Path]:
    """The shared tiny package (`plain`) and one with clinical inputs."""
    root = tmp_path_factory.mktemp("packages")
    return {"plain": package, "clinical": tiny_package(root / "clinical", clinical=True)}


@pytest.fixture(scope="module", params=BACKENDS)
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, packages: Any
) -> Iterator[Running]:
    """A module-wide app with the plain tiny model, on each database in turn."""
    folder = tmp_path_factory.mktemp(request.param)
    with (
        database(request.param, folder) as url,
        started(migrated(url), folder / "data", packages["plain"]) as running,
    ):
        yield running
