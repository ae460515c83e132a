"""Published checkpoints: imported to a package that predicts exactly what the original did."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from support.model_builders import network_spec, random_network, write_published

from mtecg.model.legacy_import import import_checkpoint, read_published
from mtecg.model.network import MultiTaskClinicalNet, Network
from mtecg.model.package import ModelPackageError, load_package
from mtecg.model.predictor import Predictor


def _reference(network: Network, x: torch.Tensor, clinical: list[dict[str, float]]) -> np.ndarray:
    """The original network's softmax, [B, tasks, 2], run directly."""
    with torch.no_grad():
        if isinstance(network, MultiTaskClinicalNet):
            categorical = torch.tensor([[int(r[k]) for k in list(r)[:5]] for r in clinical])
            numerical = torch.tensor([[r["age"] / 100] for r in clinical])
            logits = network(x, categorical, numerical)
        else:
            logits = network(x)
    return torch.softmax(torch.stack(logits, 1), 2).numpy()


def _images(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (2100, 1402, 3), dtype=np.uint8) for _ in range(n)]


CLINICAL = [
    {"female": 1, "diabetes": 0, "hypertension": 1, "smoking": 0, "dyslipidaemia": 1, "age": 71},
    {"female": 0, "diabetes": 1, "hypertension": 0, "smoking": 1, "dyslipidaemia": 0, "age": 45},
]


@pytest.mark.parametrize("backbone", ["resnet34d", "mobilenetv3_small_050"])
@pytest.mark.parametrize("clinical", [False, True], ids=["multi-task", "clinical"])
def test_import_predicts_like_the_original(tmp_path: Path, backbone: str, clinical: bool) -> None:
    spec = network_spec(backbone, clinical=clinical, rnn="bilstm")
    original = random_network(spec, seed=11)
    published = write_published(tmp_path / "published", original, spec, size=64)
    package_dir = import_checkpoint(published, tmp_path / "package")

    package = load_package(package_dir)
    manifest = package.manifest
    assert manifest.architecture == spec
    assert (manifest.input.height, manifest.input.width) == (64, 64)
    assert not manifest.synthetic and manifest.metrics == ()
    assert "scar_loss_fn.weight" not in package.network.state_dict()
    checkpoint = hashlib.sha256((published / "model.ckpt").read_bytes()).hexdigest()
    assert manifest.imported_from is not None and manifest.imported_from["sha256"] == checkpoint

    predictor = Predictor(package, device="cpu")
    images = _images(2, seed=1)
    records = CLINICAL if clinical else None
    got = predictor.probabilities(images, records)
    expected = _reference(original, predictor.prepare(images), CLINICAL)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    results = predictor.predict_batch(images, records)
    assert [r["scar"].probability for r in results] == pytest.approx(expected[:, 0, 1], abs=1e-5)


def test_import_at_published_input_size(tmp_path: Path) -> None:
    spec = network_spec("resnet18")
    original = random_network(spec, seed=5)
    published = write_published(tmp_path / "published", original, spec, size=384)
    predictor = Predictor(read_published(published), device="cpu")
    x = predictor.prepare(_images(1, seed=2))
    assert x.shape == (1, 3, 384, 384)
    np.testing.assert_allclose(
        predictor.probabilities(_images(1, seed=2)), _reference(original, x, []), atol=1e-5
    )


class _Exploit:
    """Unpickling this runs a shell command: what a hostile checkpoint would carry."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_malicious_checkpoint_is_refused_not_run(tmp_path: Path) -> None:
    spec = network_spec("resnet18")
    published = write_published(tmp_path / "published", random_network(spec), spec, size=64)
    marker = tmp_path / "pwned"
    checkpoint = torch.load(published / "model.ckpt", weights_only=True)
    checkpoint["hyper_parameters"] = _Exploit(marker)
    torch.save(checkpoint, published / "model.ckpt")

    with pytest.raises(ModelPackageError, match="refused") as caught:
        import_checkpoint(published, tmp_path / "package")
    assert not marker.exists(), "the pickled command must not run"
    assert "model.ckpt" in str(caught.value)
    assert not (tmp_path / "package").exists()


def test_checkpoint_not_matching_its_config_is_refused(tmp_path: Path) -> None:
    spec = network_spec("resnet18")
    published = write_published(tmp_path / "published", random_network(spec), spec, size=64)
    config = json.loads((published / "configs.json").read_text())
    config["backbone"] = "resnet34d"
    (published / "configs.json").write_text(json.dumps(config))
    with pytest.raises(ModelPackageError, match="missing keys"):
        read_published(published)
