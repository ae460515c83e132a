"""Fixtures for the batch suites: a tiny random-weight model (fast, real loading)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model(package: Path) -> Path:
    """The shared tiny package of tests/conftest.py (the batch engines only read it)."""
    return package
