"""Grad-CAM++ explanations for both tasks of a shared multi-task network.

The "two passes" principle: probabilities come from an inference pass under
`torch.inference_mode()`; explanations need autograd and hooks on the *same* network object,
which an inference thread may be using at that very moment. So an `Explainer`

- serialises explanations with a lock (an inference path may share it, but need not: see below),
- builds the Grad-CAM++ object and its hooks per call and removes them before returning, and
  restores every `.grad` and `training` flag it touched, so the network is as it was found;
- makes its hooks act only in the thread that runs the explanation, so a concurrent inference
  forward pass neither pollutes the captured activations nor sees a modified graph;
- explains both tasks in ONE batch of two (the same image twice; item 0 targets scar, item 1
  LVEF) through `PositiveLogits`, which turns the two heads into one `[B, 2]` tensor.

At the target layer the activation is re-rooted as a fresh autograd leaf: the gradient of the
score with respect to that activation, which is all Grad-CAM++ uses, is unchanged, but the
backward pass stops there instead of running through the whole backbone, which keeps both maps
within a small multiple of one forward pass on a CPU.

The service does better still (`forward_explained`): when the target layer's output is the
backbone's last feature map (`network.features`, true of timm's ResNets, RegNets, ConvNeXts...),
the prediction's own forward pass keeps that map, and both tasks' gradients come from two
backward passes through the small rest of the network (pooling, linear layers, heads), for a
whole batch at once: the same Grad-CAM++ arithmetic (the library's, `_CamFromGradients`) on
the same activations and gradients, without a second forward pass, hooks or shared state.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt
import torch
from pytorch_grad_cam import GradCAMPlusPlus
from pytorch_grad_cam.activations_and_gradients import ActivationsAndGradients
from pytorch_grad_cam.utils.image import scale_cam_image
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from torch import nn

from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX
from mtecg.model.network import features
from mtecg.timing import Stopwatch

TASKS: Final = ("scar", "lvef")  # column order of `PositiveLogits` output

HeatMap = npt.NDArray[np.float32]


class PositiveLogits(nn.Module):
    """One `[B, 2]` tensor of positive-class evidence: column 0 scar, column 1 LVEF < 50 %.

    Each column is the log-odds of the positive class, `logit[:, 1] - logit[:, 0]`, which equals
    `log_softmax[:, 1] - log_softmax[:, 0]`. The displayed probability is `sigmoid` of exactly
    this number, so a map of what raises it is a map of what raises the probability. The raw
    `logit[:, 1]` alone would also credit features that raise both logits equally, which leave
    the probability unchanged.

    Clinical variants get their fixed inputs (`categorical` `[1, 5]` long, `numerical` `[1, 1]`
    float) repeated over the batch, so the image is the only thing that varies.
    """

    def __init__(
        self,
        network: nn.Module,
        categorical: torch.Tensor | None = None,
        numerical: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        if (categorical is None) != (numerical is None):
            raise ValueError("clinical inputs come as a pair: categorical and numerical")
        self.network = network
        self.categorical = categorical
        self.numerical = numerical

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Runs the network on `x` `[B, 3, H, W]` and returns the `[B, 2]` log-odds."""
        if self.categorical is None or self.numerical is None:
            scar, lvef = self.network(x)
        else:
            batch = x.shape[0]
            scar, lvef = self.network(
                x,
                self.categorical.expand(batch, -1),
                self.numerical.expand(batch, -1),
            )
        return log_odds(scar, lvef)


def log_odds(scar: torch.Tensor, lvef: torch.Tensor) -> torch.Tensor:
    """Both heads' `[B, 2]` logits -> `[B, 2]` positive-class log-odds (columns as `TASKS`)."""
    return torch.stack((scar[:, 1] - scar[:, 0], lvef[:, 1] - lvef[:, 0]), dim=1)


def default_target_layer(network: nn.Module) -> nn.Module | None:
    """The last feature stage a timm backbone advertises, or None if it advertises none.

    The networks hold their timm backbone as `network.model`; timm lists the modules whose
    outputs are its feature maps in `feature_info` (shallow to deep), e.g. `layer4` for ResNets,
    `stages.3` for ConvNeXt. The last one is the deepest spatial map before global pooling: the
    usual Grad-CAM layer. Networks without it are probed instead (`Explainer`).
    """
    backbone = getattr(network, "model", None)
    info = getattr(backbone, "feature_info", None)
    if not isinstance(backbone, nn.Module) or not isinstance(info, list) or not info:
        return None
    last = info[-1]
    name = last.get("module") if isinstance(last, dict) else None
    if not isinstance(name, str):
        return None
    try:
        return backbone.get_submodule(name)
    except AttributeError:
        return None


def last_spatial_module(model: nn.Module, sample: torch.Tensor) -> nn.Module:
    """The module that finishes last with a 4-D output of more than one pixel, for `sample`.

    Forward hooks fire when a module returns, so a container (a ResNet stage) is seen after its
    children and wins over them; global pooling (1 x 1) and the heads (2-D) do not qualify.
    Only the calling thread is observed, so other threads may use the network meanwhile.
    """
    owner = threading.get_ident()
    found: list[nn.Module] = []

    def record(module: nn.Module, _inputs: Any, output: Any) -> None:
        if (
            threading.get_ident() == owner
            and isinstance(output, torch.Tensor)
            and output.ndim == 4
            and output.shape[-1] * output.shape[-2] > 1
        ):
            found.append(module)

    handles = [m.register_forward_hook(record) for m in model.modules() if m is not model]
    try:
        with torch.no_grad():
            model(sample)
    finally:
        for handle in handles:
            handle.remove()
    if not found:
        raise ValueError("the network has no layer with a spatial (4-D) output to explain")
    return found[-1]


class _OwnThreadActivations(ActivationsAndGradients):  # type: ignore[misc]
    """Grad-CAM's activation/gradient capture, limited to one thread and re-rooted as a leaf.

    One forward hook per target layer: in the owner thread it replaces the layer's output by a
    copy hanging off a fresh leaf (activation values identical, backward stops at the leaf),
    records the activation and registers the gradient hook; in any other thread it does nothing.
    """

    def __init__(self, model: nn.Module, target_layers: list[nn.Module]) -> None:
        super().__init__(model, [], reshape_transform=None, detach=True)
        self.owner = threading.get_ident()
        self.activations: list[torch.Tensor] = []
        self.gradients: list[torch.Tensor] = []
        self.handles = [layer.register_forward_hook(self._capture) for layer in target_layers]

    def _capture(self, _module: nn.Module, _inputs: Any, output: Any) -> Any:
        if threading.get_ident() != self.owner or not isinstance(output, torch.Tensor):
            return None
        leaf = output.detach().requires_grad_(True)
        self.activations.append(leaf.detach().cpu())

        def store(grad: torch.Tensor) -> None:
            self.gradients = [grad.detach().cpu(), *self.gradients]

        leaf.register_hook(store)
        # A clone is not a leaf, so in-place ops after the layer (ReLU(inplace)) stay legal.
        return leaf.clone()


class _GradCAMPlusPlus(GradCAMPlusPlus):  # type: ignore[misc]
    """`GradCAMPlusPlus` whose hooks are `_OwnThreadActivations` rather than the stock ones."""

    def __init__(self, model: nn.Module, target_layer: nn.Module) -> None:
        super().__init__(model, [])  # registers no hooks
        self.target_layers = [target_layer]
        self.activations_and_grads = _OwnThreadActivations(model, [target_layer])


class _CamFromGradients(GradCAMPlusPlus):  # type: ignore[misc]
    """The library's Grad-CAM++ arithmetic on activations and gradients captured elsewhere.

    `maps` is what `BaseCAM.forward` does after its backward pass (`compute_cam_per_layer` for
    one layer, then `aggregate_multi_layers`), so both paths give the same maps by construction.
    """

    def __init__(self) -> None:  # no model and no hooks: nothing but the arithmetic is used
        pass

    def __del__(self) -> None:  # BaseCAM's releases hooks, and there are none
        pass

    def maps(
        self, activations: np.ndarray, gradients: np.ndarray, width: int, height: int
    ) -> np.ndarray:
        """`[N, K, h, w]` activations and gradients -> `[N, height, width]` maps in [0, 1]."""
        cam = self.get_cam_image(None, None, None, activations, gradients)
        scaled = scale_cam_image(np.maximum(cam, 0), (width, height))
        maps: np.ndarray = self.aggregate_multi_layers([scaled[:, None, :]])
        return maps


class Explainer:
    """Grad-CAM++ heatmaps for scar and LVEF from one batch-of-two pass over a shared network.

    `target_layer` defaults to `default_target_layer(network)`; failing that, to the last module
    with a spatial output on the first image explained (`last_spatial_module`). `lock` may be
    shared with the inference path if it wants full exclusion; explanations are correct without
    that because their hooks ignore other threads.
    """

    def __init__(
        self,
        network: nn.Module,
        target_layer: nn.Module | None = None,
        *,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.network = network
        self.target_layer = (
            target_layer if target_layer is not None else default_target_layer(network)
        )
        self.lock: AbstractContextManager[Any] = lock or threading.Lock()
        self._single_pass: bool | None = None  # target layer output is `features`? (first call)

    def explain(
        self,
        image_tensor: torch.Tensor,
        categorical: torch.Tensor | None = None,
        numerical: torch.Tensor | None = None,
    ) -> dict[str, HeatMap]:
        """Maps `{"scar", "lvef"}`, float32 in [0, 1], `[H, W]` of the model input `[1, 3, H, W]`.

        The image is normalised already (as for inference); clinical inputs, for clinical
        variants, are `[1, 5]` long and `[1, 1]` float.
        """
        if image_tensor.ndim != 4 or image_tensor.shape[0] != 1:
            raise ValueError(f"expected one image [1, C, H, W], got {tuple(image_tensor.shape)}")
        # Fresh copies: inputs made under inference mode cannot be saved for backward.
        wrapper = PositiveLogits(
            self.network,
            None if categorical is None else categorical.detach().clone(),
            None if numerical is None else numerical.detach().clone(),
        )
        pair = image_tensor.detach().repeat(2, 1, 1, 1)  # a fresh tensor, even from inference mode
        targets = [ClassifierOutputTarget(0), ClassifierOutputTarget(1)]
        with self.lock, _network_restored(self.network):
            self.network.eval()
            if self.target_layer is None:
                self.target_layer = last_spatial_module(wrapper, pair[:1])
            cam = _GradCAMPlusPlus(wrapper, self.target_layer)
            try:
                with torch.enable_grad():
                    maps = cam(input_tensor=pair, targets=targets)
            finally:
                cam.activations_and_grads.release()
        return {task: np.clip(maps[i], 0.0, 1.0).astype(np.float32) for i, task in enumerate(TASKS)}

    def forward_explained(
        self,
        batch: torch.Tensor,
        categorical: torch.Tensor | None = None,
        numerical: torch.Tensor | None = None,
        clock: Stopwatch | None = None,
    ) -> tuple[torch.Tensor, list[dict[str, HeatMap]]] | None:
        """One forward pass of `batch` `[B, 3, H, W]` -> (logits `[B, tasks, 2]`, maps per image).

        The maps are those of `explain` for each image, at model input resolution. None when
        the network does not allow it (its target layer is not the last feature map); callers
        then predict and `explain` separately. The network is only read: no hooks after the
        first call, no `.grad` written (gradients are taken with respect to the kept map only).
        `clock` gets the stages `predict` (the forward pass) and `explain` (the rest).
        """
        if not self._allows_single_pass(batch):
            return None
        clock = clock or Stopwatch()
        network: Any = self.network
        clinical = () if categorical is None or numerical is None else (categorical, numerical)
        with clock.stage("predict"):
            with torch.no_grad():
                feature_map = features(network.model, batch)
            with torch.enable_grad():
                kept = feature_map.detach().requires_grad_(True)
                scar, lvef = network.from_features(kept, *clinical)
        with clock.stage("explain"), torch.enable_grad():
            evidence = log_odds(scar, lvef)
            # Rows are independent (eval mode), so a summed score gives each image's gradient.
            gradients = [
                torch.autograd.grad(evidence[:, i].sum(), kept, retain_graph=i == 0)[0]
                for i in range(len(TASKS))
            ]
            activations = feature_map.cpu().numpy()
            height, width = batch.shape[-2:]
            maps = _CamFromGradients().maps(
                np.concatenate([activations] * len(TASKS)),
                np.concatenate([g.cpu().numpy() for g in gradients]),
                int(width),
                int(height),
            )
        logits = torch.stack((scar.detach(), lvef.detach()), dim=1)
        count = batch.shape[0]
        per_image = [
            {
                task: np.clip(maps[i * count + b], 0.0, 1.0).astype(np.float32)
                for i, task in enumerate(TASKS)
            }
            for b in range(count)
        ]
        return logits, per_image

    def _allows_single_pass(self, batch: torch.Tensor) -> bool:
        """Whether the target layer's output IS the network's last feature map (checked once).

        The check is identity, not equality: one forward pass of the first image with a hook,
        seen only by this thread, on the target layer.
        """
        if self._single_pass is not None:
            return self._single_pass
        network: Any = self.network
        if self.target_layer is None or not hasattr(network, "from_features"):
            self._single_pass = False
            return False
        owner = threading.get_ident()
        seen: list[object] = []

        def record(_module: nn.Module, _inputs: Any, output: Any) -> None:
            if threading.get_ident() == owner:
                seen.append(output)

        handle = self.target_layer.register_forward_hook(record)
        try:
            with torch.no_grad():
                feature_map = features(network.model, batch[:1])
        finally:
            handle.remove()
        self._single_pass = len(seen) == 1 and seen[0] is feature_map
        return self._single_pass


class _network_restored:
    """Puts back every parameter's `.grad` and every module's `training` flag on exit.

    Grad-CAM calls `model.eval()` and `model.zero_grad()` and its backward fills `.grad` of the
    layers after the target; none of that may leak into the shared network.
    """

    def __init__(self, network: nn.Module) -> None:
        self.network = network
        self.grads: list[tuple[nn.Parameter, torch.Tensor | None]] = []
        self.modes: list[tuple[nn.Module, bool]] = []

    def __enter__(self) -> None:
        self.grads = [(p, p.grad) for p in self.network.parameters()]
        self.modes = [(m, m.training) for m in self.network.modules()]

    def __exit__(self, *_exc: object) -> None:
        for param, grad in self.grads:
            param.grad = grad
        for module, training in self.modes:
            module.training = training


def to_canonical(
    heatmap: HeatMap, width: int = CANONICAL_W_PX, height: int = CANONICAL_H_PX
) -> HeatMap:
    """A map at model input resolution stretched back onto the canonical image.

    The model input is the canonical image resized to a square without keeping the aspect
    ratio (bilinear); the inverse is the same independent x/y scaling back to width x height,
    bilinear with the same pixel-centre convention, so a map pixel lands on the image area it
    was computed from. Bilinear interpolation cannot leave [0, 1].
    """
    resized = cv2.resize(
        heatmap.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
    )
    return np.clip(resized, 0.0, 1.0).astype(np.float32)
