"""Model packages: round trip, and every way a package can be broken is named, not loaded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from support.model_builders import manifest, network_spec, random_network

from mtecg.model.package import ModelPackageError, load_package, write_package


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = network_spec(clinical=True)
    out = tmp_path_factory.mktemp("pkg") / "model"
    return write_package(out, random_network(spec), manifest(spec))


def test_round_trip_keeps_weights_and_manifest(tmp_path: Path) -> None:
    spec = network_spec()
    network, written = random_network(spec, seed=3), manifest(spec)
    out = write_package(tmp_path / "model", network, written)
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "model.json",
        "weights.safetensors",
    ]
    loaded = load_package(out)
    assert loaded.manifest.weights is not None
    assert loaded.manifest == written.with_weights(loaded.manifest.weights)
    original, reloaded = network.state_dict(), loaded.network.state_dict()
    assert original.keys() == reloaded.keys()
    assert all(torch.equal(original[k], reloaded[k]) for k in original)
    card = (out / "README.md").read_text()
    assert written.intended_use in card and "synthetic" in card.lower()
    assert not list(tmp_path.glob(".model.*")), "no staging folder is left behind"


def test_write_refuses_to_overwrite_unless_asked(package_dir: Path, tmp_path: Path) -> None:
    spec = network_spec()
    target = write_package(tmp_path / "m", random_network(spec), manifest(spec))
    with pytest.raises(FileExistsError):
        write_package(target, random_network(spec), manifest(spec))
    write_package(target, random_network(spec, seed=9), manifest(spec), overwrite=True)
    assert load_package(target).manifest.weights is not None


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for item in src.iterdir():
        (dst / item.name).write_bytes(item.read_bytes())
    return dst


def _edit_json(path: Path, change: Callable[[dict[str, object]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


def _resize_and_rehash(package: Path) -> None:
    """Valid safetensors for another network, with a matching sha: only the keys are wrong."""
    spec = network_spec(clinical=False)
    other = write_package(package.parent / "other", random_network(spec), manifest(spec))
    (package / "weights.safetensors").write_bytes((other / "weights.safetensors").read_bytes())
    weights = json.loads((other / "model.json").read_text())["weights"]
    _edit_json(package / "model.json", lambda d: d.update(weights=weights))


BREAKAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing manifest": (lambda p: (p / "model.json").unlink(), "model.json: missing"),
    "missing weights": (lambda p: (p / "weights.safetensors").unlink(), "weights file missing"),
    "bad json": (lambda p: (p / "model.json").write_text("{not json"), "not valid JSON"),
    "sha mismatch": (lambda p: _flip_byte(p / "weights.safetensors"), "sha256"),
    "truncated weights": (lambda p: _truncate(p / "weights.safetensors"), "truncated"),
    "missing field": (
        lambda p: _edit_json(p / "model.json", lambda d: d.pop("input")),
        "input is missing",
    ),
    "bad threshold": (
        lambda p: _edit_json(p / "model.json", lambda d: d["tasks"]["scar"].update(threshold=2)),
        "tasks.scar.threshold",
    ),
    "wrong head order": (
        lambda p: _edit_json(p / "model.json", lambda d: d.update(heads=["lvef", "scar"])),
        "heads",
    ),
    "missing and unexpected keys": (_resize_and_rehash, "missing keys: "),
}


@pytest.mark.parametrize("case", sorted(BREAKAGES))
def test_broken_package_is_refused_with_reason(
    package_dir: Path, tmp_path: Path, case: str
) -> None:
    breakage, message = BREAKAGES[case]
    broken = _copy(package_dir, tmp_path / "broken")
    breakage(broken)
    with pytest.raises(ModelPackageError, match=message) as caught:
        load_package(broken)
    assert str(broken) in str(caught.value), "the message says which package"


def test_key_mismatch_message_names_the_keys(package_dir: Path, tmp_path: Path) -> None:
    broken = _copy(package_dir, tmp_path / "broken")
    _resize_and_rehash(broken)
    with pytest.raises(ModelPackageError) as caught:
        load_package(broken)
    message = str(caught.value)
    assert "clinical_rnn_layer" in message and "embedding_layer" in message
