"""Fixtures for the attack reproductions: the API suites' app (in-process) and the reliability
suites' real server, with a tiny real model package and a real synthetic printout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.api_client import Running, started
from support.services import cli_database, database, migrated, tiny_package

from mtecg.synth.dataset import make_record

__all__ = ["cli_database"]  # the `mtecg audit verify` suite's database


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_package(tmp_path_factory.mktemp("security-package") / "tiny")


@pytest.fixture(scope="session")
def ecg_pdf() -> bytes:
    return make_record(3, "siriraj-grid", "pdf").data


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, package: Path) -> Iterator[Running]:
    """One in-process app on SQLite for a module's attacks."""
    folder = tmp_path_factory.mktemp("security-app")
    with (
        database("sqlite", folder) as url,
        started(migrated(url), folder / "data", package) as running,
    ):
        yield running
