"""The training configuration (`mtecg train --config JSON`), validated before any work.

`OptimiserSettings` holds the settings (and defaults) that both the JSON config and the
training loop's `LoopConfig` have, so that a default lives in one place; each adds its own.
The JSON is read in pydantic's strict JSON mode: unknown keys and wrong types (a string for a
number, 1 for true) are errors, never silently coerced or ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
)


class OptimiserSettings(BaseModel):
    """What the optimisation needs from the config, with the defaults of both."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    epochs: PositiveInt = 10
    learning_rate: PositiveFloat = 3e-4  # peak of the one-cycle schedule
    loss_ratio: tuple[float, float] = (0.7, 0.3)  # scar, LVEF (the study's default)
    patience: NonNegativeInt = 3  # epochs without a better validation loss before stopping
    seed: int = 0


class TrainConfig(OptimiserSettings):
    """Everything a training run depends on; stored in the package for reproduction."""

    backbone: str = "resnet18"
    variant: Literal["multi-task", "multi-task-clinical"] = "multi-task"
    latent_dim: PositiveInt = 512
    image_size: PositiveInt = 384
    batch_size: PositiveInt = 16
    class_weights: Literal["balanced", "none"] = "balanced"
    augmentation: bool = True
    val_fraction: float = Field(0.15, ge=0.0, lt=1.0)  # when the manifest has no split column
    profile: str = "auto"
    workers: PositiveInt = 2  # 1: in this process
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
    try:
        return TrainConfig.model_validate_json(path.read_bytes(), strict=True)
    except ValidationError as error:
        problems = error.errors(include_url=False)
        unknown = sorted(str(p["loc"][0]) for p in problems if p["type"] == "extra_forbidden")
        if unknown:
            raise ValueError(f"unknown config key(s): {', '.join(unknown)}") from None
        if problems[0]["type"] in ("json_invalid", "model_type"):
            raise ValueError("the training config must be a JSON object") from None
        where = ".".join(str(part) for part in problems[0]["loc"])
        raise ValueError(f"config {where!r}: {problems[0]['msg']}") from None
