"""Grad-CAM++ explanations for both tasks of a shared multi-task network.

The "two passes" principle: probabilities come from an inference pass under
`torch.inference_mode()`; explanations need autograd and hooks on the *same* network object.
One mechanism keeps them apart: a lock that every forward pass over the network holds
(`Predictor.lock`, shared with its `Explainer`). Under it an `Explainer`

- uses pytorch-grad-cam through its public API only: `with GradCAMPlusPlus(...) as cam`, whose
  context manager removes the library's hooks again, and `ClassifierOutputTarget`;
- restores every `.grad` and `training` flag that the library touches (it calls `eval()` and
  `zero_grad()`, and its backward fills `.grad`), so the network is as it was found;
- explains both tasks in ONE batch of two (the same image twice; item 0 targets scar, item 1
  LVEF) through `PositiveLogits`, which turns the two heads into one `[B, 2]` tensor.

Speed. A forward hook of ours (torch's public `register_forward_hook`, placed before the
library's) re-roots the target layer's output as a fresh autograd leaf: the gradient of the
score with respect to that activation, which is all Grad-CAM++ uses, is unchanged, but the
backward pass stops there instead of running through the whole backbone, which keeps both maps
within a small multiple of one forward pass on a CPU.

The service does better still (`forward_explained`): when the target layer's output is the
backbone's last feature map (`network.features`, true of timm's ResNets, RegNets, ConvNeXts...),
the prediction's own forward pass keeps that map, and the library's `GradCAMPlusPlus` runs on
the small rest of the network (pooling, linear layers, heads) with that map as its input and an
`nn.Identity` as its target layer: both tasks of a whole batch in one backward pass, with no
second forward pass through the backbone. The only thing it changes is the size the maps are
scaled to (the public `get_target_width_height`): the image's, not the feature map's, so both
paths give the same maps.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX
from mtecg.model.network import features
from mtecg.tasks import TASKS
from mtecg.timing import Stopwatch

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
    The caller holds the network's lock, so no other forward pass reaches the hooks.
    """
    found: list[nn.Module] = []

    def record(module: nn.Module, _inputs: Any, output: Any) -> None:
        if (
            isinstance(output, torch.Tensor)
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


@contextmanager
def _backward_stops_at(layer: nn.Module) -> Iterator[None]:
    """While open, `layer`'s output hangs off a fresh autograd leaf (same values).

    Registered first (`prepend`), so Grad-CAM's own hooks see the re-rooted output and its
    gradient; a clone is returned because a leaf cannot take in-place ops (ReLU(inplace)).
    """

    def reroot(_module: nn.Module, _inputs: Any, output: Any) -> Any:
        if not isinstance(output, torch.Tensor):
            return None
        return output.detach().requires_grad_(True).clone()

    handle = layer.register_forward_hook(reroot, prepend=True)
    try:
        yield
    finally:
        handle.remove()


class _HeadsOnFeatures(nn.Module):
    """The rest of a network after its last feature map: feature map in, `[N, 2]` log-odds out.

    `feature_map` (an identity) is the layer Grad-CAM++ explains; `clinical` holds the clinical
    inputs row by row with the feature maps, for clinical variants.
    """

    def __init__(self, network: nn.Module, clinical: tuple[torch.Tensor, ...]) -> None:
        super().__init__()
        self.network: Any = network
        self.feature_map = nn.Identity()
        self.clinical = clinical

    def forward(self, feature_map: torch.Tensor) -> torch.Tensor:
        scar, lvef = self.network.from_features(self.feature_map(feature_map), *self.clinical)
        return log_odds(scar, lvef)


@functools.cache
def _grad_cam() -> Any:
    """pytorch-grad-cam, imported when the first map is made.

    Its package imports every CAM method it has, and with them torchvision, scikit-learn,
    pandas and matplotlib: seconds of CPU at each start for a process (the CLI without
    `--explain`, a server before its first upload) that may never draw a map.
    """
    import pytorch_grad_cam
    import pytorch_grad_cam.utils.model_targets

    return pytorch_grad_cam


def _targets(indices: list[int]) -> list[Any]:
    """The library's `ClassifierOutputTarget` for each output column in `indices`."""
    target = _grad_cam().utils.model_targets.ClassifierOutputTarget
    return [target(i) for i in indices]


@functools.cache
def _feature_map_cam_class() -> type[Any]:
    """`GradCAMPlusPlus` on `_HeadsOnFeatures`, with maps scaled to the image's size.

    The library scales maps to the size of its input, which here is the feature map; the image
    the feature map came from has another size, so `get_target_width_height` says which.
    Defined on first use, as the library it derives from is imported then (`_grad_cam`).
    """

    class FeatureMapCAM(_grad_cam().GradCAMPlusPlus):  # type: ignore[misc]  # untyped library
        def __init__(self, heads: _HeadsOnFeatures, width: int, height: int) -> None:
            super().__init__(heads, [heads.feature_map])
            self.size = (width, height)

        def get_target_width_height(self, input_tensor: torch.Tensor) -> tuple[int, int]:
            return self.size

    return FeatureMapCAM


def _run(cam: Any, rows: torch.Tensor, targets: list[Any]) -> np.ndarray:
    """`cam` on `rows`, closed afterwards (its hooks removed) and with autograd on.

    The library's context manager swallows an `IndexError` raised inside it (it prints it),
    so a missing result is raised here rather than passed on as no maps.
    """
    maps: np.ndarray | None = None
    with cam, torch.enable_grad():
        maps = cam(input_tensor=rows, targets=targets)
    if maps is None:
        raise RuntimeError("Grad-CAM++ failed (an IndexError inside pytorch-grad-cam)")
    return maps


class Explainer:
    """Grad-CAM++ heatmaps for scar and LVEF from one batch-of-two pass over a shared network.

    `target_layer` defaults to `default_target_layer(network)`; failing that, to the last module
    with a spatial output on the first image explained (`last_spatial_module`). `lock` must be
    held by every other forward pass over `network` (the `Predictor` shares its own): the
    library's hooks on the target layer would record any forward pass that ran meanwhile.
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
        self.lock: AbstractContextManager[Any] = lock or threading.RLock()
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
        targets = _targets([0, 1])
        with self.lock, _network_restored(self.network):
            self.network.eval()
            if self.target_layer is None:
                self.target_layer = last_spatial_module(wrapper, pair[:1])
            cam = _grad_cam().GradCAMPlusPlus(model=wrapper, target_layers=[self.target_layer])
            with _backward_stops_at(self.target_layer):
                maps = _run(cam, pair, targets)
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
        then predict and `explain` separately. The backbone runs once, without autograd; the
        library differentiates only the rest (`_HeadsOnFeatures`), whose hooks are its own.
        `clock` gets the stages `predict` (the forward pass) and `explain` (the rest).
        """
        clock = clock or Stopwatch()
        network: Any = self.network
        clinical = () if categorical is None or numerical is None else (categorical, numerical)
        with self.lock:
            if not self._allows_single_pass(batch):
                return None
            with clock.stage("predict"), torch.no_grad():
                feature_map = features(network.model, batch)
                scar, lvef = network.from_features(feature_map, *clinical)
            with clock.stage("explain"), _network_restored(network):
                # Task-major rows: row i * B + b is image b explained for task i.
                count, tasks = batch.shape[0], len(TASKS)
                heads = _HeadsOnFeatures(network, tuple(t.repeat(tasks, 1) for t in clinical))
                height, width = batch.shape[-2:]
                maps = _run(
                    _feature_map_cam_class()(heads, int(width), int(height)),
                    feature_map.repeat(tasks, 1, 1, 1).requires_grad_(True),
                    _targets([i for i in range(tasks) for _ in range(count)]),
                )
        per_image: list[dict[str, HeatMap]] = [
            {
                task: np.clip(maps[i * count + b], 0.0, 1.0).astype(np.float32)
                for i, task in enumerate(TASKS)
            }
            for b in range(count)
        ]
        return torch.stack((scar, lvef), dim=1), per_image

    def _allows_single_pass(self, batch: torch.Tensor) -> bool:
        """Whether the target layer's output IS the network's last feature map (checked once).

        The check is identity, not equality: one forward pass of the first image with a hook on
        the target layer, under the lock.
        """
        if self._single_pass is not None:
            return self._single_pass
        network: Any = self.network
        if self.target_layer is None or not hasattr(network, "from_features"):
            self._single_pass = False
            return False
        seen: list[object] = []
        handle = self.target_layer.register_forward_hook(lambda _m, _i, out: seen.append(out))
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
