"""Model packages: a folder with model.json, weights.safetensors and a README model card.

Loading checks before it trusts: the weights' size and sha256 must match model.json before a
byte of them is parsed, and the state dict must fit the network exactly (strict load). Weights
are safetensors, so loading a package never unpickles anything.

`load_package` is the one way every entry point loads a model (`mtecg serve`, `predict`,
`evaluate`, `batch`, `ECGClassifier`), so what one accepts the others accept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from mtecg.model.manifest import ManifestError, ModelManifest, WeightsInfo, manifest_from_json
from mtecg.model.network import Network, build_network

MANIFEST_FILE: Final = "model.json"
WEIGHTS_FILE: Final = "weights.safetensors"
CARD_FILE: Final = "README.md"


class ModelPackageError(Exception):
    """A model package cannot be used; the message says what is wrong and where."""


@dataclass(frozen=True)
class ModelPackage:
    """A verified package: its manifest and its network (eval mode, on the CPU)."""

    manifest: ModelManifest
    network: Network
    path: Path | None = None  # the folder it was read from; None when built in memory


def load_package(directory: Path | str) -> ModelPackage:
    """A model folder, verified and loaded; raises `ModelPackageError` if anything is off.

    A package folder (model.json) is read as it is. A published checkpoint folder of the study
    (configs.json, model.ckpt, transform.json, no model.json) is accepted too, converted in
    memory exactly as `mtecg import-checkpoint` converts it, because scripts written for the
    published library pass such folders to `ECGClassifier` and must keep working, and a folder
    that one command accepts must not be refused by another. The conversion is safe (restricted
    unpickling, strict load) and identified: its weights entry is the checkpoint's own size and
    sha256, so screenings record exactly the bytes they were made with. Importing once is still
    better for serving: the package carries a model card, safetensors weights, and an id and
    version that do not depend on the folder's name.
    """
    directory = Path(directory)
    if not (directory / MANIFEST_FILE).exists():
        from mtecg.model import legacy_import  # it builds on this module, so imported here

        if legacy_import.is_published(directory):
            return legacy_import.read_published(directory)
    return _read_package(directory)


def _read_package(directory: Path) -> ModelPackage:
    manifest, state, source = read_verified(directory)
    return ModelPackage(manifest, network_from_state(manifest, state, source), directory)


def read_verified(directory: Path) -> tuple[ModelManifest, dict[str, torch.Tensor], str]:
    """A package folder's manifest and state dict, once its weights' size and sha256 match
    model.json; and the weights file's name for messages. Raises `ModelPackageError`.

    The network is not built here: `load_package` builds it and loads the state strictly; a
    server whose backbone runs from a verified cached graph loads only the rest
    (`mtecg.model.head_only`).
    """
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise ModelPackageError(
            f"{manifest_path}: missing (is {directory} a model package or a published "
            "checkpoint folder?)"
        )
    try:
        manifest = manifest_from_json(json.loads(manifest_path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelPackageError(f"{manifest_path}: not valid JSON ({error})") from None
    except ManifestError as error:
        raise ModelPackageError(f"{manifest_path}: {error}") from None
    assert manifest.weights is not None  # the parser requires it
    weights_path = directory / manifest.weights.file
    if not weights_path.is_file():
        raise ModelPackageError(f"{weights_path}: weights file missing")
    data = weights_path.read_bytes()
    _verify(data, manifest.weights, weights_path)
    try:
        state = load_safetensors(data)
    except SafetensorError as error:
        raise ModelPackageError(
            f"{weights_path}: not a readable safetensors file ({error})"
        ) from None
    return manifest, state, str(weights_path)


def _verify(data: bytes, expected: WeightsInfo, path: Path) -> None:
    if len(data) != expected.size:
        raise ModelPackageError(
            f"{path}: {len(data)} bytes but model.json says {expected.size} "
            "(truncated or replaced weights)"
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected.sha256.lower():
        raise ModelPackageError(
            f"{path}: sha256 {digest} does not match model.json ({expected.sha256}); "
            "the weights were changed or corrupted"
        )


def network_from_state(
    manifest: ModelManifest, state: dict[str, torch.Tensor], source: str
) -> Network:
    """Builds the manifest's network and loads `state` strictly, naming any key mismatch."""
    try:
        network = build_network(manifest.architecture)
    except (RuntimeError, ValueError) as error:  # e.g. a backbone name timm does not know
        raise ModelPackageError(f"{source}: cannot build the network ({error})") from None
    expected = set(network.state_dict())
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unexpected:
        raise ModelPackageError(
            f"{source}: weights do not fit {manifest.architecture.backbone} "
            f"({manifest.architecture.variant}); missing keys: {_few(missing)}; "
            f"unexpected keys: {_few(unexpected)}"
        )
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as error:  # shape mismatches
        raise ModelPackageError(f"{source}: weights do not fit the network ({error})") from None
    return network.eval()


def _few(keys: list[str]) -> str:
    shown = ", ".join(keys[:5]) or "none"
    return f"{shown} (+{len(keys) - 5} more)" if len(keys) > 5 else shown


def write_package(
    destination: Path | str, network: Network, manifest: ModelManifest, *, overwrite: bool = False
) -> Path:
    """Writes a package atomically: built in a temporary sibling folder, then renamed.

    The manifest's weights entry is filled in here from the bytes actually written.
    """
    destination = Path(destination)
    if destination.exists() and not overwrite:
        raise FileExistsError(f"{destination} already exists")
    destination.parent.mkdir(parents=True, exist_ok=True)
    state = {key: value.detach().cpu().contiguous() for key, value in network.state_dict().items()}
    data = save_safetensors(state)
    weights = WeightsInfo(
        file=WEIGHTS_FILE, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )
    manifest = manifest.with_weights(weights)
    staging = Path(tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}."))
    try:
        (staging / WEIGHTS_FILE).write_bytes(data)
        (staging / MANIFEST_FILE).write_text(
            json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (staging / CARD_FILE).write_text(model_card(manifest), encoding="utf-8")
        if destination.exists():
            retired = destination.with_name(f".{destination.name}.old-{os.getpid()}")
            os.replace(destination, retired)
            os.replace(staging, destination)
            shutil.rmtree(retired)
        else:
            os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return destination


def model_card(manifest: ModelManifest) -> str:
    """The README.md of a package, written from its manifest so the two cannot disagree."""
    arch = manifest.architecture
    lines = [
        f"# Model {manifest.id} {manifest.version}",
        "",
        "**Synthetic: trained on synthetic data only; not for clinical use.**"
        if manifest.synthetic
        else "",
        "## Intended use",
        manifest.intended_use,
        "",
        "## Architecture",
        f"- {arch.variant} network, backbone `{arch.backbone}`, latent dim {arch.latent_dim}",
        f"- input {manifest.input.height} x {manifest.input.width} px, "
        f"canonical geometry `{manifest.input.geometry}`",
        f"- clinical inputs: {'required' if manifest.clinical_inputs else 'none'}",
        "",
        "## Training data",
        manifest.training_data,
        "",
        "## Operating points",
        *(
            f"- {name}: threshold {task.threshold}, reference marker "
            f"{'unknown' if task.reference_marker is None else task.reference_marker}"
            for name, task in manifest.tasks.items()
        ),
        "",
        "## Metrics",
        *(
            [f"- {m.task} {m.name} = {m.value:.3f} on {m.data}" for m in manifest.metrics]
            or ["- unknown: none were measured for this package"]
        ),
        "",
        *_training_section(manifest.training),
    ]
    return "\n".join(lines)


def _training_section(training: Any) -> list[str]:
    """How `mtecg train` made the package (counts, best epoch, config), when it did.

    The config is everything a run depends on, so the card alone says how to reproduce it.
    """
    if not isinstance(training, dict) or "config" not in training:
        return []
    counts = training.get("counts", {})
    return [
        "## Training run",
        f"- printouts: {counts.get('train', '?')} training, {counts.get('val', '?')} validation, "
        f"{counts.get('test', 0)} test; refused by preprocessing: "
        f"{sum(counts.get('refused', {}).values())}",
        f"- best epoch (lowest validation loss): {training.get('best_epoch', '?')}",
        "- config (`mtecg train --config`):",
        "",
        "```json",
        json.dumps(training["config"], indent=2),
        "```",
        "",
        "To reproduce: save this config as `config.json` and run "
        "`mtecg train --manifest MANIFEST --config config.json --out DIR` on the training data "
        "described above.",
        "",
    ]
