"""The network without its timm backbone: what a server runs around a verified ONNX graph.

Once the backbone's `forward_features` runs from an exported graph, all that is left of the
timm model is its `forward_head`: for the backbones the service uses (ResNets, RegNets)
global average pooling, then the bias-free linear layer the latent comes from
(`mtecg.model.network`). `PooledLinear` is exactly that, at the same state-dict path, so a
server whose cached graph was checked with it (`mtecg.model.onnx_backbone`) loads only the
heads' weights and never imports timm (which imports torchvision, torch._dynamo and sympy:
most of a cold start). Whether a backbone's head really is pooling + linear is not assumed:
the export check compares this network's probabilities with the full PyTorch network's, and
only a record of that check lets a server build it.
"""

from __future__ import annotations

import torch
from torch import nn

from mtecg.model.manifest import ModelManifest
from mtecg.model.network import Network, build_network


class PooledLinear(nn.Module):
    """Stands in for a timm backbone's `forward_head`: the mean over the map, then the linear
    layer, kept at the timm model's path for it (`fc`, `head.fc`) so that the package's key
    (`model.fc.weight`, ...) loads unchanged. `forward_features` runs on ONNX Runtime."""

    def __init__(self, classifier: str, in_features: int, latent_dim: int) -> None:
        super().__init__()
        self.classifier = classifier
        *parents, leaf = classifier.split(".")
        parent: nn.Module = self
        for name in parents:
            child = nn.Module()
            parent.add_module(name, child)
            parent = child
        parent.add_module(leaf, nn.Linear(in_features, latent_dim, bias=False))

    def forward_head(self, feature_map: torch.Tensor) -> torch.Tensor:
        linear: torch.Tensor = self.get_submodule(self.classifier)(feature_map.mean((2, 3)))
        return linear

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("this network's backbone runs from its ONNX graph only")


def classifier_path(network: Network) -> str | None:
    """Where the timm backbone keeps its linear classifier (e.g. `fc`), or None."""
    head = getattr(network.model, "get_classifier", lambda: None)()
    if not isinstance(head, nn.Linear):
        return None
    return next((name for name, module in network.model.named_modules() if module is head), None)


def head_only_network(
    manifest: ModelManifest, state: dict[str, torch.Tensor], classifier: str
) -> Network:
    """The manifest's network with `PooledLinear` for a backbone, its weights from `state`.

    Raises KeyError when `state` lacks a weight the network needs.
    """
    weight = state[f"model.{classifier}.weight"]
    latent_dim, in_features = weight.shape
    network = build_network(
        manifest.architecture, PooledLinear(classifier, in_features, latent_dim)
    )
    network.load_state_dict({key: state[key] for key in network.state_dict()}, strict=True)
    return network.eval()
