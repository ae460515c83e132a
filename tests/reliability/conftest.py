"""Fixtures for the reliability suites: a tiny real model package and a few real printouts.

The helpers of the other service suites live beside their tests (tests/db, tests/ingest);
they are put on the path here the same way tests/api does it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tests_paths import REPO

for suite in ("db", "ingest"):
    if str(REPO / "tests" / suite) not in sys.path:
        sys.path.insert(0, str(REPO / "tests" / suite))

from service_fixtures import tiny_package  # noqa: E402

from mtecg.synth.dataset import make_record  # noqa: E402


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight 64 px package: real loading and inference, cheap on 2 cores."""
    return tiny_package(tmp_path_factory.mktemp("reliability-package") / "tiny")


@pytest.fixture(scope="session")
def printouts() -> list[bytes]:
    """Three distinct synthetic one-page ECG PDFs (different signals and headers)."""
    return [make_record(seed, "siriraj-grid", "pdf").data for seed in (3, 4, 5)]
