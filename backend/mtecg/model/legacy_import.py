"""Import of a published model folder (configs.json, model.ckpt, transform.json).

The checkpoint is a pickle, so it is read only with torch's restricted unpickler
(`weights_only=True`): tensors and plain containers, never arbitrary objects or calls. It is
converted into a model package: once and written (`import_checkpoint`, `mtecg
import-checkpoint`), or in memory whenever a published folder is loaded (`read_published`, which
`load_package` calls for such a folder).

What the published folder does not say is filled in from the published library's behaviour:
the decision rule (argmax of two classes, i.e. threshold 0.5), the published app's risk bands and
clinical feature order. Reference markers and metrics are unknown for an imported checkpoint.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from pathlib import Path
from typing import Any, Final

import torch

from mtecg.model.architecture import ClinicalSpec, NetworkSpec
from mtecg.model.manifest import (
    GEOMETRIES,
    ClinicalInputs,
    InputSpec,
    ModelManifest,
    RiskBand,
    TaskSpec,
    WeightsInfo,
)
from mtecg.model.package import ModelPackage, ModelPackageError, network_from_state, write_package
from mtecg.tasks import TASKS

CONFIG_FILE: Final = "configs.json"
CHECKPOINT_FILE: Final = "model.ckpt"
TRANSFORM_FILE: Final = "transform.json"
LOSS_BUFFERS: Final = ("scar_loss_fn.weight", "lvef_loss_fn.weight")
# The published library's behaviour, which its folders do not record.
PUBLISHED_THRESHOLD: Final = 0.5
PUBLISHED_RISK_BANDS: Final = (
    RiskBand(name="low", upper=0.30),
    RiskBand(name="moderate", upper=0.70),
    RiskBand(name="high", upper=None),
)
PUBLISHED_CATEGORICAL: Final = ("female", "diabetes", "hypertension", "smoking", "dyslipidaemia")
PUBLISHED_NUMERICAL: Final = (("age", 100.0),)
# albumentations/OpenCV interpolation codes -> model.json names.
_CV2_INTERPOLATION: Final = {1: "linear", 3: "area"}
INTENDED_USE: Final = (
    "Research screening aid: estimates the probability of myocardial scar and of LVEF < 50 % "
    "from a 12-lead ECG printout, to prioritise further assessment. Not a diagnosis."
)


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise ModelPackageError(f"{path}: missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelPackageError(f"{path}: not valid JSON ({error})") from None


def _network_spec(config: Any, path: Path) -> NetworkSpec:
    try:
        clinical = None
        if "rnn_type" in config:
            clinical = ClinicalSpec(
                embedding_size=int(config["embedding_size"]),
                rnn_type=str(config["rnn_type"]),
                rnn_output_size=int(config["rnn_output_size"]),
                num_rnn_layers=int(config["num_rnn_layers"]),
                num_categorical_features=int(config["num_categorical_features"]),
                num_numerical_features=int(config["num_numerical_features"]),
            )
        if (config.get("scar_class", 2), config.get("lvef_class", 2)) != (2, 2):
            raise ValueError("only two-class scar and LVEF heads are supported")
        return NetworkSpec(
            backbone=str(config["backbone"]),
            variant="multi-task" if clinical is None else "multi-task-clinical",
            latent_dim=int(config["latent_dim"]),
            bias_head=bool(config["bias_head"]),
            in_channels=int(config.get("in_channels", 3)),
            clinical=clinical,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ModelPackageError(f"{path}: unusable configuration ({error!r})") from None


def _input_spec(transform: Any, geometry: str, path: Path) -> InputSpec:
    try:
        steps = {
            t["__class_fullname__"].rsplit(".", 1)[-1]: t
            for t in transform["transform"]["transforms"]
        }
        resize, normalize = steps["Resize"], steps["Normalize"]
        if float(normalize.get("max_pixel_value", 255.0)) != 255.0:
            raise ValueError("Normalize.max_pixel_value other than 255 is not supported")
        interpolation = _CV2_INTERPOLATION[int(resize.get("interpolation", 1))]
        mean, std = (tuple(float(v) for v in normalize[k]) for k in ("mean", "std"))
        return InputSpec(
            size=(int(resize["height"]), int(resize["width"])),
            mean=(mean[0], mean[1], mean[2]),
            std=(std[0], std[1], std[2]),
            interpolation=interpolation,
            geometry=geometry,
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise ModelPackageError(f"{path}: unusable transform ({error!r})") from None


def is_published(directory: Path) -> bool:
    """Whether `directory` looks like a published model folder (it has the checkpoint)."""
    return (directory / CHECKPOINT_FILE).is_file()


def _state_dict(path: Path) -> tuple[dict[str, torch.Tensor], WeightsInfo]:
    """The checkpoint's network weights, and its size and sha256 (of the bytes parsed)."""
    if not path.is_file():
        raise ModelPackageError(f"{path}: missing")
    data = path.read_bytes()
    identity = WeightsInfo(file=path.name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    try:
        checkpoint = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise ModelPackageError(
            f"{path}: refused; it holds objects other than tensors and plain data, which are "
            f"not loaded because unpickling them can run code ({error})"
        ) from None
    except (RuntimeError, EOFError, OSError) as error:
        raise ModelPackageError(f"{path}: not a readable PyTorch checkpoint ({error})") from None
    state = checkpoint.get("state_dict") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelPackageError(f"{path}: no `state_dict` of tensors in the checkpoint")
    return {key: value for key, value in state.items() if key not in LOSS_BUFFERS}, identity


def read_published(
    source: Path | str,
    *,
    model_id: str | None = None,
    version: str = "published",
    geometry: str = "canonical-6x2",
) -> ModelPackage:
    """A published model folder as an in-memory package (nothing written).

    Its weights entry describes the checkpoint file itself, and `imported_from` records that
    checkpoint's sha256, which stays with a package written from it.
    """
    source = Path(source)
    if geometry not in GEOMETRIES:
        raise ValueError(f"geometry must be one of {', '.join(GEOMETRIES)}")
    config = _read_json(source / CONFIG_FILE)
    spec = _network_spec(config, source / CONFIG_FILE)
    input_spec = _input_spec(_read_json(source / TRANSFORM_FILE), geometry, source / TRANSFORM_FILE)
    clinical = None
    if spec.clinical is not None:
        clinical = ClinicalInputs(categorical=PUBLISHED_CATEGORICAL, numerical=PUBLISHED_NUMERICAL)
        counts = (spec.clinical.num_categorical_features, spec.clinical.num_numerical_features)
        if counts != (len(clinical.categorical), len(clinical.numerical)):
            raise ModelPackageError(f"{source / CONFIG_FILE}: unexpected clinical feature counts")
    state, checkpoint = _state_dict(source / CHECKPOINT_FILE)
    manifest = ModelManifest(
        id=model_id or f"{source.name}-{spec.backbone}",
        version=version,
        architecture=spec,
        input=input_spec,
        tasks={
            name: TaskSpec(threshold=PUBLISHED_THRESHOLD, reference_marker=None) for name in TASKS
        },
        risk_bands=PUBLISHED_RISK_BANDS,
        intended_use=INTENDED_USE,
        training_data=(
            "Unknown to this package: imported from the published checkpoint "
            f"{source.name!r}; see the original publication for its training data."
        ),
        synthetic=False,
        clinical_inputs=clinical,
        imported_from={
            "folder": source.name,
            "format": "published-lightning",
            "sha256": checkpoint.sha256,
        },
        weights=checkpoint,
    )
    return ModelPackage(
        manifest, network_from_state(manifest, state, str(source / CHECKPOINT_FILE)), source
    )


def import_checkpoint(
    source: Path | str,
    destination: Path | str,
    *,
    model_id: str | None = None,
    version: str = "published",
    geometry: str = "canonical-6x2",
    overwrite: bool = False,
) -> Path:
    """Converts a published model folder into a package folder at `destination`."""
    package = read_published(source, model_id=model_id, version=version, geometry=geometry)
    return write_package(destination, package.network, package.manifest, overwrite=overwrite)
