"""The training configuration (`mtecg train --config JSON`), validated before any work."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; stored in the package for reproduction."""

    backbone: str = "resnet18"
    variant: str = "multi-task"
    latent_dim: int = 512
    image_size: int = 384
    epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 3e-4
    loss_ratio: tuple[float, float] = (0.7, 0.3)
    class_weights: str = "balanced"  # or "none"
    augmentation: bool = True
    patience: int = 3
    seed: int = 0
    val_fraction: float = 0.15  # when the manifest has no split column
    profile: str = "auto"
    workers: int = 2
    # Keep every image in memory at twice the input size (about 1.8 MB each at 384 px) instead
    # of decoding the full canonical PNG each epoch; turn off when the set does not fit in RAM.
    preload: bool = True
    model_id: str = "mtecg-model"
    version: str = "0.1.0"
    intended_use: str = "Research and software testing. Not for clinical use."
    training_data: str = "unspecified"
    synthetic: bool = False


def load_config(path: Path) -> TrainConfig:
    """Reads a JSON config; unknown keys and wrong types are errors, not silently ignored."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("the training config must be a JSON object")
    known = {f.name: f for f in fields(TrainConfig)}
    unknown = set(data) - set(known)
    if unknown:
        raise ValueError(f"unknown config key(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    defaults = TrainConfig()
    for name, value in data.items():
        default = getattr(defaults, name)
        if isinstance(default, tuple):
            value = tuple(float(v) for v in value)
        elif isinstance(default, bool) and not isinstance(value, bool):
            raise ValueError(f"config {name!r} must be true or false")
        elif isinstance(default, float) and isinstance(value, int):
            value = float(value)
        elif not isinstance(value, type(default)):
            raise ValueError(f"config {name!r} must be {type(default).__name__}")
        values[name] = value
    config = TrainConfig(**values)
    if config.class_weights not in ("balanced", "none"):
        raise ValueError("config 'class_weights' must be 'balanced' or 'none'")
    return config
