"""The architecture part of model.json, as data: what to build before loading weights.

Kept apart from `network` so that reading a manifest (the CLI's argument parsing, the API's
model endpoint) does not import torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

VARIANTS: Final = ("multi-task", "multi-task-clinical")
RNN_TYPES: Final = ("rnn", "lstm", "birnn", "bilstm")


@dataclass(frozen=True)
class ClinicalSpec:
    """The clinical branch: binary features embedded, joined with the numbers, run by an RNN."""

    embedding_size: int
    rnn_type: str
    rnn_output_size: int
    num_rnn_layers: int
    num_categorical_features: int
    num_numerical_features: int

    def __post_init__(self) -> None:
        if self.rnn_type not in RNN_TYPES:
            raise ValueError(f"rnn_type {self.rnn_type!r} is not one of {', '.join(RNN_TYPES)}")


@dataclass(frozen=True)
class NetworkSpec:
    """Everything needed to rebuild the network before its weights are loaded."""

    backbone: str
    variant: str
    latent_dim: int
    bias_head: bool
    in_channels: int = 3
    clinical: ClinicalSpec | None = None

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant {self.variant!r} is not one of {', '.join(VARIANTS)}")
        if (self.variant == "multi-task-clinical") != (self.clinical is not None):
            raise ValueError("the clinical branch is given exactly for variant multi-task-clinical")
