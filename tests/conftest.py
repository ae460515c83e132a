"""Shared fixtures: where the read-only real samples live, and the immutable inputs several
suites use (one tiny model package and one synthetic printout per test process, however many
suites that process runs: pytest-xdist gives each worker its own session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.services import RUNTIME_CACHE, tiny_package
from tests_paths import SAMPLES

from mtecg.synth.dataset import make_record


@pytest.fixture(scope="session", autouse=True)
def runtime_cache() -> Iterator[None]:
    """The CLI's exported ONNX graphs go to the suites' shared cache, not ./var/runtime."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MTECG_RUNTIME_CACHE_DIR", str(RUNTIME_CACHE))
        yield


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is not beside the repository")
    return SAMPLES


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight 64 px package: real loading and inference, cheap on 2 cores. Read only:
    a test that needs to change a package builds its own."""
    return tiny_package(tmp_path_factory.mktemp("package") / "tiny")


@pytest.fixture(scope="session")
def ecg_pdf() -> bytes:
    """One synthetic Siriraj-grid printout (seed 3)."""
    return make_record(3, "siriraj-grid", "pdf").data
