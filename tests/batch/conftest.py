"""Fixtures for the batch suites: a tiny random-weight model (fast, real loading)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.services import tiny_package


@pytest.fixture(scope="session")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_package(tmp_path_factory.mktemp("batch-model") / "plain")
