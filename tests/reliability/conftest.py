"""Fixtures for the reliability suites: a tiny real model package and a few real printouts."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.services import tiny_package

from mtecg.synth.dataset import make_record


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight 64 px package: real loading and inference, cheap on 2 cores."""
    return tiny_package(tmp_path_factory.mktemp("reliability-package") / "tiny")


@pytest.fixture(scope="session")
def printouts() -> list[bytes]:
    """Three distinct synthetic one-page ECG PDFs (different signals and headers)."""
    return [make_record(seed, "siriraj-grid", "pdf").data for seed in (3, 4, 5)]
