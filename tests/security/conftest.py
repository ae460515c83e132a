"""Fixtures for the attack reproductions: the API suites' app (in-process) on SQLite, with the
shared tiny real model package (`package`) and synthetic printout (`ecg_pdf`) of
tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.api_client import Running, started
from support.services import cli_database, database, migrated

__all__ = ["cli_database"]  # the `mtecg audit verify` suite's database


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, package: Path) -> Iterator[Running]:
    """One in-process app on SQLite for a module's attacks."""
    folder = tmp_path_factory.mktemp("security-app")
    with (
        database("sqlite", folder) as url,
        started(migrated(url), folder / "data", package) as running,
    ):
        yield running
