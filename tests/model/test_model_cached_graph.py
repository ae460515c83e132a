"""A start from a verified cached graph: no timm backbone is built or imported, the answers are
PyTorch's, and any doubt about the cache (a damaged graph, a record made for another package)
falls back to what a first start does, while a broken package is refused as before."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mtecg.model.head_only import PooledLinear
from mtecg.model.onnx_backbone import OnnxNetwork
from mtecg.model.package import ModelPackageError, load_package
from mtecg.model.predictor import Predictor, load_predictor
from mtecg.model.runtime import PROBABILITY_TOLERANCE

_NO_TIMM = """
import sys
from pathlib import Path
from mtecg.model.predictor import load_predictor
predictor = load_predictor(sys.argv[1], "cpu", "onnx", Path(sys.argv[2]))
print(sorted(m for m in ("timm", "torchvision", "sympy", "torch._dynamo") if m in sys.modules))
"""


@pytest.fixture(scope="module")
def exported(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runtime cache holding the tiny package's graph, written by a first load."""
    cache = tmp_path_factory.mktemp("runtime")
    load_predictor(package, "cpu", "onnx", cache)
    return cache


def _images(predictor: Predictor, count: int = 4) -> list[np.ndarray]:
    height, width = predictor.manifest.input.canonical_shape
    rng = np.random.default_rng(16)
    return [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(count)]


def _head_only(predictor: Predictor) -> bool:
    network = predictor.network
    return isinstance(network, OnnxNetwork) and isinstance(
        network.torch_network.model, PooledLinear
    )


def test_the_record_says_what_was_checked(exported: Path) -> None:
    (record_path,) = exported.glob("*.json")
    record = json.loads(record_path.read_text())
    assert record["head_only"] == "fc"  # resnet18: pooling, then the latent's linear layer
    assert record["check"]["tolerance"] == PROBABILITY_TOLERANCE
    assert 0 <= record["check"]["max_difference"] <= PROBABILITY_TOLERANCE
    assert len(record["package_sha256"]) == len(record["graph_sha256"]) == 64


def test_cached_start_builds_no_backbone_and_answers_as_pytorch(
    package: Path, exported: Path
) -> None:
    cached = load_predictor(package, "cpu", "onnx", exported, release_torch_backbone=True)
    assert _head_only(cached)
    assert cached.explainer.network is cached.network  # maps from the ONNX forward pass
    reference = Predictor(load_package(package), "cpu")
    images = _images(reference)
    for (answer, maps), (other, other_maps) in zip(
        reference.predict_explained(images), cached.predict_explained(images), strict=True
    ):
        for task, heat in maps.items():
            assert abs(answer[task].probability - other[task].probability) <= (
                PROBABILITY_TOLERANCE
            )
            assert np.abs(heat - other_maps[task]).max() < 1e-3


def _heavy_imports_of_a_load(package: Path, cache: Path) -> str:
    """What of timm & co. a fresh process imports while it loads `package` with `cache`."""
    done = subprocess.run(
        [sys.executable, "-c", _NO_TIMM, str(package), str(cache)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return done.stdout.strip().splitlines()[-1]


def test_cached_start_never_imports_timm(package: Path, exported: Path) -> None:
    assert _heavy_imports_of_a_load(package, exported) == "[]"


def test_a_first_start_exports_apart_and_never_imports_timm(package: Path, tmp_path: Path) -> None:
    """With an empty cache the graph is exported and checked by a child process: the loading
    process still imports no timm, and the cache then holds the verified graph and record."""
    cache = tmp_path / "runtime"
    assert _heavy_imports_of_a_load(package, cache) == "[]"
    assert len(list(cache.glob("*.onnx"))) == len(list(cache.glob("*.json"))) == 1


def test_a_damaged_graph_is_exported_and_checked_again(
    package: Path, exported: Path, tmp_path: Path
) -> None:
    cache = shutil.copytree(exported, tmp_path / "runtime")
    (graph,) = cache.glob("*.onnx")
    good = graph.read_bytes()
    graph.write_bytes(good[: len(good) // 2])
    predictor = load_predictor(package, "cpu", "onnx", cache)
    assert graph.read_bytes() == good
    assert _head_only(predictor)  # the fresh export's check vouched for it again


def test_a_record_made_for_another_package_is_not_trusted(
    package: Path, exported: Path, tmp_path: Path
) -> None:
    cache = shutil.copytree(exported, tmp_path / "runtime")
    (record_path,) = cache.glob("*.json")
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps({**record, "package_sha256": "0" * 64}))
    predictor = load_predictor(package, "cpu", "onnx", cache)
    assert isinstance(predictor.network, OnnxNetwork) and not _head_only(predictor)


def test_a_broken_package_is_refused_with_a_cache_as_without(
    package: Path, exported: Path, tmp_path: Path
) -> None:
    broken = shutil.copytree(package, tmp_path / "broken")
    weights = broken / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelPackageError, match="sha256") as without:
        load_package(broken)
    with pytest.raises(ModelPackageError, match="sha256") as cached:
        load_predictor(broken, "cpu", "onnx", exported)
    assert str(cached.value) == str(without.value)
