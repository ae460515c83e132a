"""Fixtures for the reliability suites: a few real printouts (the tiny real model package,
`package`, is the shared one from tests/conftest.py)."""

from __future__ import annotations

import pytest

from mtecg.synth.dataset import make_record


@pytest.fixture(scope="session")
def printouts() -> list[bytes]:
    """Three distinct synthetic one-page ECG PDFs (different signals and headers)."""
    return [make_record(seed, "siriraj-grid", "pdf").data for seed in (3, 4, 5)]
