"""The bundled demo model: loads, and says everywhere that it was trained on synthetic data."""

from __future__ import annotations

import pytest
from tests_paths import REPO

from mtecg.model.package import load_package

DEMO = REPO / "models" / "demo"


@pytest.mark.skipif(not DEMO.is_dir(), reason="no bundled demo model in this checkout")
def test_demo_package_is_honest_about_being_synthetic() -> None:
    package = load_package(DEMO)
    manifest = package.manifest
    assert manifest.synthetic
    assert "not for clinical use" in manifest.intended_use.lower()
    assert "synthetic" in manifest.training_data.lower()
    assert manifest.metrics and all("synthetic" in m.data for m in manifest.metrics)
    card = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in card.lower() and "not for clinical use" in card.lower()
    size = sum(f.stat().st_size for f in DEMO.iterdir())
    assert size <= 25 * 2**20
