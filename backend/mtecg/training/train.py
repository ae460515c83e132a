"""`mtecg train`: manifest + config -> a model package with its measured metrics.

Printouts go through the same preprocessing as in service (cached), the network is trained
with the two-task loss, and the package records what a reader of its model card needs: the
operating thresholds (Youden's J on the validation set), the reference markers (mean predicted
probability on the validation set), and AUCs with 95 % CIs together with the data they were
measured on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import DataLoader

from mtecg.model.architecture import ClinicalSpec, NetworkSpec
from mtecg.model.input_transform import imagenet_input, to_tensor
from mtecg.model.legacy_import import (
    PUBLISHED_CATEGORICAL,
    PUBLISHED_NUMERICAL,
    PUBLISHED_RISK_BANDS,
)
from mtecg.model.manifest import (
    ClinicalInputs,
    InputSpec,
    ModelManifest,
    TaskSpec,
)
from mtecg.model.network import MultiTaskClinicalNet, Network, build_network
from mtecg.model.package import ModelPackage, write_package
from mtecg.model.predictor import Predictor, pick_device
from mtecg.tasks import TASKS
from mtecg.training.cache import cache_canonical
from mtecg.training.config import OptimiserSettings, TrainConfig
from mtecg.training.dataset import CanonicalDataset, Item
from mtecg.training.evaluate import Scored, report, report_metrics, score
from mtecg.training.loop import FitResult, LoopConfig, fit, seed_everything
from mtecg.training.manifest import Example, clinical_records, read_manifest
from mtecg.training.metrics import youden_threshold

_GEOMETRY = {
    "auto": "canonical-6x2",
    "siriraj-grid": "canonical-6x2",
    "siriraj-plain": "siriraj-plain",
}


@dataclass(frozen=True)
class Splits:
    """Items per split; `test` may be empty."""

    train: list[Item]
    val: list[Item]
    test: list[Item]


def _split(pairs: Sequence[tuple[Example, Path]], config: TrainConfig) -> Splits:
    items = [Item(p, e.scar, e.low_ef, e.clinical) for e, p in pairs]
    if any(e.split for e, _ in pairs):
        by = {
            name: [i for i, (e, _) in zip(items, pairs, strict=True) if e.split == name]
            for name in ("train", "val", "test")
        }
        return Splits(by["train"], by["val"], by["test"])
    order = np.random.default_rng(config.seed).permutation(len(items))
    n_val = max(1, round(config.val_fraction * len(items)))
    return Splits([items[i] for i in order[n_val:]], [items[i] for i in order[:n_val]], [])


def _class_weights(labels: list[int], mode: str) -> tuple[float, float]:
    if mode == "none":
        return (1.0, 1.0)
    positives = max(1, sum(labels))
    negatives = max(1, len(labels) - positives)
    n = len(labels)
    return (n / (2 * negatives), n / (2 * positives))


def _scored(predictor: Predictor, items: Sequence[Item]) -> Scored:
    labels = {"scar": [i.scar for i in items], "lvef": [i.low_ef for i in items]}
    records = clinical_records(items) if predictor.needs_clinical else None
    return score(predictor, [i.image for i in items], labels, records)


@dataclass(frozen=True)
class Readable:
    """The manifest's examples and what preprocessing made of them."""

    examples: list[Example]
    splits: Splits
    refused: Counter[str]


def _read_examples(manifest_path: Path, config: TrainConfig, cache_dir: Path | None) -> Readable:
    """Step 1: every printout preprocessed (cached), the readable ones split."""
    examples = read_manifest(manifest_path)
    cached = cache_canonical(
        [e.path for e in examples],
        cache_dir or manifest_path.parent / ".mtecg-cache",
        config.profile,
        config.workers,
    )
    refused = Counter(c.rejection for c in cached if c.rejection)
    pairs = [(e, c.image) for e, c in zip(examples, cached, strict=True) if c.image is not None]
    splits = _split(pairs, config)
    if not splits.train or not splits.val:
        raise ValueError("training needs at least one readable training and validation example")
    return Readable(examples, splits, refused)


def _network_spec(config: TrainConfig) -> NetworkSpec:
    """The architecture the config names (the clinical variant with the published encoder)."""
    clinical = config.variant == "multi-task-clinical"
    return NetworkSpec(
        backbone=config.backbone,
        variant=config.variant,
        latent_dim=config.latent_dim,
        bias_head=True,
        clinical=ClinicalSpec(5, "lstm", 512, 1, 5, 1) if clinical else None,
    )


def _fit(
    network: Network,
    splits: Splits,
    input_spec: InputSpec,
    config: TrainConfig,
    device: str,
) -> FitResult:
    """Step 2: the two-task loss on the training split, early stopping on the validation."""
    clinical = isinstance(network, MultiTaskClinicalNet)  # it takes the clinical inputs too

    def transform(image: np.ndarray) -> Any:
        return to_tensor(image, input_spec)

    working = (2 * config.image_size, 2 * config.image_size) if config.preload else None
    train_set = CanonicalDataset(
        splits.train, transform, config.seed if config.augmentation else None, clinical, working
    )
    val_set = CanonicalDataset(splits.val, transform, None, clinical, working)
    loop = LoopConfig(
        **config.model_dump(include=set(OptimiserSettings.model_fields)),
        scar_class_weights=_class_weights([i.scar for i in splits.train], config.class_weights),
        lvef_class_weights=_class_weights([i.low_ef for i in splits.train], config.class_weights),
    )
    return fit(
        network,
        DataLoader(train_set, batch_size=config.batch_size, shuffle=True),
        DataLoader(val_set, batch_size=config.batch_size),
        loop,
        pick_device(device),
    )


def _draft_manifest(spec: NetworkSpec, input_spec: InputSpec, config: TrainConfig) -> ModelManifest:
    """The package's manifest before measurement: placeholder thresholds, no metrics."""
    return ModelManifest(
        id=config.model_id,
        version=config.version,
        architecture=spec,
        input=input_spec,
        tasks={task: TaskSpec(threshold=0.5, reference_marker=None) for task in TASKS},
        risk_bands=PUBLISHED_RISK_BANDS,
        intended_use=config.intended_use,
        training_data=config.training_data,
        synthetic=config.synthetic,
        clinical_inputs=ClinicalInputs(
            categorical=PUBLISHED_CATEGORICAL, numerical=PUBLISHED_NUMERICAL
        )
        if spec.clinical is not None
        else None,
    )


def _operating_points(val_scored: Scored) -> dict[str, TaskSpec]:
    """Step 3: each task's threshold (Youden's J) and reference marker (mean probability),
    both on the validation split."""
    return {
        task: TaskSpec(
            threshold=round(youden_threshold(val_scored.labels[task], val_scored.scores[task]), 4),
            reference_marker=round(float(val_scored.scores[task].mean()), 4),
        )
        for task in TASKS
    }


def _reports(
    predictor: Predictor,
    splits: Splits,
    val_scored: Scored,
    tasks: dict[str, TaskSpec],
    training_data: str,
) -> dict[str, dict[str, Any]]:
    """Step 4: the validation (and test, when there is one) report at those thresholds."""
    thresholds = {task: spec.threshold for task, spec in tasks.items()}
    reports = {
        "validation": report(
            val_scored,
            thresholds,
            f"validation split ({len(splits.val)} printouts of {training_data})",
        )
    }
    if splits.test:
        reports["test"] = report(
            _scored(predictor, splits.test),
            thresholds,
            f"test split ({len(splits.test)} printouts of {training_data})",
        )
    return reports


def train(
    manifest_path: Path,
    config: TrainConfig,
    out: Path,
    device: str = "auto",
    cache_dir: Path | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Trains and writes the package at `out`; returns a summary (counts, metrics, path)."""
    readable = _read_examples(manifest_path, config, cache_dir)
    splits = readable.splits
    spec = _network_spec(config)
    input_spec = imagenet_input(config.image_size, "area", _GEOMETRY[config.profile])
    seed_everything(config.seed)
    network = build_network(spec)
    result = _fit(network, splits, input_spec, config, device)
    network.cpu().eval()
    draft = _draft_manifest(spec, input_spec, config)
    predictor = Predictor(ModelPackage(draft, network), device=device)
    val_scored = _scored(predictor, splits.val)
    tasks = _operating_points(val_scored)
    reports = _reports(predictor, splits, val_scored, tasks, config.training_data)
    metrics = tuple(m for entry in reports.values() for m in report_metrics(entry))
    summary = {
        "counts": {
            "manifest": len(readable.examples),
            "refused": dict(readable.refused),
            "train": len(splits.train),
            "val": len(splits.val),
            "test": len(splits.test),
        },
        "best_epoch": result.best_epoch,
        "history": result.history,
        "config": config.model_dump(mode="json"),
    }
    final = draft.replace(tasks=tasks, metrics=metrics, training=summary)
    path = write_package(out, network, final, overwrite=overwrite)
    return {"package": str(path), **summary, "reports": reports}
