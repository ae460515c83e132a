"""The multi-task networks, with the state-dict names of the published checkpoints.

The attribute names (`model`, `scar_head`, `lvef_head`, `embedding_layer`,
`clinical_rnn_layer`) are the published ones, so a published state dict loads strictly without
renaming. The architecture comes from a model package's `model.json` (`NetworkSpec`); nothing here
knows about a particular trained model.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn

from mtecg.model.architecture import NetworkSpec


def _backbone(spec: NetworkSpec) -> nn.Module:
    """A timm model whose classifier is Linear(num_features -> latent_dim, bias=False).

    timm's own `reset_classifier` finds the classifier of any architecture; it adds a bias, so
    the layer it made is then swapped, at the same place, for a bias-free one.
    """
    import timm  # here: it imports torchvision and more, which a cached graph's server never needs

    model: Any = timm.create_model(spec.backbone, pretrained=False, in_chans=spec.in_channels)
    model.reset_classifier(spec.latent_dim)
    head = model.get_classifier()
    if not isinstance(head, nn.Linear):
        raise ValueError(f"backbone {spec.backbone!r} has no linear classifier to replace")
    path = next(name for name, module in model.named_modules() if module is head)
    model.set_submodule(path, nn.Linear(head.in_features, spec.latent_dim, bias=False))
    backbone: nn.Module = model
    return backbone


def features(backbone: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The backbone's last spatial feature map: timm's `forward_features`.

    A timm model's forward is `forward_head(forward_features(x))`; the networks run the two
    halves themselves so that an explanation can keep this map from the prediction's own forward
    pass and differentiate only the small rest (`from_features`), with no second forward pass.
    """
    feature_map: torch.Tensor = cast(Any, backbone).forward_features(x)
    return feature_map


class MultiTaskNet(nn.Module):
    """Image only: ReLU(backbone(x)) feeds one two-class head per task."""

    def __init__(self, spec: NetworkSpec, backbone: nn.Module | None = None) -> None:
        super().__init__()
        self.model = _backbone(spec) if backbone is None else backbone
        self.scar_head = nn.Linear(spec.latent_dim, 2, bias=spec.bias_head)
        self.lvef_head = nn.Linear(spec.latent_dim, 2, bias=spec.bias_head)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.from_features(features(self.model, x))

    def from_features(self, feature_map: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Both heads' logits from the backbone's last feature map (see `features`)."""
        embedding = torch.relu(cast(Any, self.model).forward_head(feature_map))
        return self.scar_head(embedding), self.lvef_head(embedding)


class MultiTaskClinicalNet(nn.Module):
    """Image plus clinical features: both embeddings concatenated feed each task's head."""

    def __init__(self, spec: NetworkSpec, backbone: nn.Module | None = None) -> None:
        super().__init__()
        if spec.clinical is None:
            raise ValueError("the clinical network needs a clinical spec")
        clinical = spec.clinical
        self.model = _backbone(spec) if backbone is None else backbone
        self.embedding_layer = nn.Embedding(2, clinical.embedding_size)
        rnn_class: type[nn.RNN | nn.LSTM] = nn.LSTM if "lstm" in clinical.rnn_type else nn.RNN
        self.clinical_rnn_layer = rnn_class(
            input_size=clinical.embedding_size + clinical.num_numerical_features,
            hidden_size=clinical.rnn_output_size,
            num_layers=clinical.num_rnn_layers,
            bidirectional=clinical.rnn_type.startswith("bi"),
        )
        joint = spec.latent_dim + clinical.rnn_output_size
        self.scar_head = nn.Linear(joint, 2, bias=spec.bias_head)
        self.lvef_head = nn.Linear(joint, 2, bias=spec.bias_head)

    def clinical_embedding(
        self, categorical: torch.Tensor, numerical: torch.Tensor
    ) -> torch.Tensor:
        """[B, n_cat] long and [B, n_num] float -> [B, rnn_output_size].

        Step i of the (seq-first) sequence is concat(embedding(feature_i), numerical); the state
        starts at zero (PyTorch's default) and the last layer's final hidden state, summed over
        its directions, is the embedding.
        """
        embedded = self.embedding_layer(categorical)  # [B, S, E]
        steps = numerical.unsqueeze(1).expand(-1, embedded.shape[1], -1)
        sequence = torch.cat([embedded, steps.to(embedded.dtype)], dim=2).transpose(0, 1)
        rnn = self.clinical_rnn_layer
        _, state = rnn(sequence)
        hidden = state[0] if isinstance(state, tuple) else state
        directions = 2 if rnn.bidirectional else 1
        last_layer = hidden.view(rnn.num_layers, directions, *hidden.shape[1:])[-1]
        embedding: torch.Tensor = last_layer.sum(dim=0)
        return embedding

    def forward(
        self, x: torch.Tensor, categorical: torch.Tensor, numerical: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.from_features(features(self.model, x), categorical, numerical)

    def from_features(
        self, feature_map: torch.Tensor, categorical: torch.Tensor, numerical: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Both heads' logits from the backbone's last feature map and the clinical inputs."""
        pooled = cast(Any, self.model).forward_head(feature_map)
        joint = torch.cat([pooled, self.clinical_embedding(categorical, numerical)], dim=1)
        return self.scar_head(joint), self.lvef_head(joint)


Network = MultiTaskNet | MultiTaskClinicalNet


def build_network(spec: NetworkSpec, backbone: nn.Module | None = None) -> Network:
    """An untrained network of the spec's variant, in eval mode (never downloads weights).

    `backbone` stands in for the timm model when given (`mtecg.model.head_only`: a server whose
    backbone runs from a verified ONNX graph builds no timm model at all).
    """
    variant = MultiTaskNet if spec.clinical is None else MultiTaskClinicalNet
    network: Network = variant(spec, backbone)
    return network.eval()
