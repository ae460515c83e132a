"""Shared fixtures: where the read-only real samples live."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests_paths import SAMPLES


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is not beside the repository")
    return SAMPLES
