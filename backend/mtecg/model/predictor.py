"""One loaded model serving probabilities: canonical images in, per-task results out.

The network is loaded once and shared. Forward passes run under `torch.inference_mode()` and
hold `Predictor.lock`, which anything that changes the network (Grad-CAM hooks) must also hold,
so concurrent callers never see a half-hooked network.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from mtecg.model.explain import Explainer, HeatMap, to_canonical
from mtecg.model.input_transform import to_batch
from mtecg.model.manifest import ModelManifest
from mtecg.model.package import (
    MANIFEST_FILE,
    ModelPackage,
    load_package,
    network_from_state,
    read_verified,
)
from mtecg.model.runtime import Runtime
from mtecg.tasks import TASKS
from mtecg.timing import Stopwatch

if TYPE_CHECKING:
    from mtecg.model.onnx_backbone import OnnxNetwork

Clinical = Mapping[str, float]
"""One patient's clinical inputs by the names in model.json (booleans as 0/1, age in years)."""


@dataclass(frozen=True)
class TaskResult:
    """One task's answer for one image."""

    task: str
    probability: float  # of the positive class
    prediction: int  # 1 when probability >= the package's threshold
    risk_band: str
    reference_marker: float | None


def pick_device(device: str) -> torch.device:
    """`auto` means CUDA when present, else CPU; anything else is passed to torch as is."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class Predictor:
    """Serves one model package; safe to call from several threads."""

    def __init__(
        self,
        package: ModelPackage,
        device: str = "auto",
        runtime: Runtime = "torch",
        cache_dir: Path | None = None,
        release_torch_backbone: bool = False,
        accelerated: OnnxNetwork | None = None,
    ) -> None:
        """`runtime` moves the backbone of a CPU model onto ONNX Runtime (`mtecg.model.runtime`;
        a CUDA model stays PyTorch); `cache_dir` keeps its exported graph between loads;
        `release_torch_backbone` then frees the PyTorch weights that no longer run (a server's
        memory; the package's network is unusable afterwards, see `release_torch_backbone`).
        `accelerated` is the network already on the runtime (`load_predictor`, from a verified
        cached graph; `package.network` is then its head-only part)."""
        self.manifest: ModelManifest = package.manifest
        self.device = pick_device(device)
        self.network: nn.Module = package.network.to(self.device).eval()
        self.lock = threading.RLock()
        # Grad-CAM++ hooks go on the same network, so the explainer shares the forward lock.
        self.explainer = Explainer(self.network, lock=self.lock)
        self.runtime: Runtime = runtime if self.device.type == "cpu" else "torch"
        if self.runtime != "torch":
            from mtecg.model import onnx_backbone

            fast = accelerated or onnx_backbone.accelerate(
                package, package.network, self.runtime, cache_dir
            )
            if release_torch_backbone and accelerated is None:
                onnx_backbone.release_torch_backbone(fast)
            if fast.maps_from_features:
                self.explainer = Explainer(
                    fast, target_layer=fast.model.feature_map, lock=self.lock
                )
            self.network = fast

    @property
    def needs_clinical(self) -> bool:
        return self.manifest.clinical_inputs is not None

    def prepare(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        """Canonical RGB uint8 images -> the normalised [B, 3, H, W] batch, per model.json."""
        return to_batch(images, self.manifest.input)

    def clinical_tensors(self, clinical: Sequence[Clinical]) -> tuple[torch.Tensor, torch.Tensor]:
        """Named clinical inputs -> (categorical [B, n] long, numerical [B, m] float)."""
        inputs = self.manifest.clinical_inputs
        if inputs is None:
            raise ValueError("this model takes no clinical inputs")
        wanted = (*inputs.categorical, *(name for name, _ in inputs.numerical))
        for i, record in enumerate(clinical):
            missing = [name for name in wanted if record.get(name) is None]
            if missing:
                raise ValueError(f"clinical record {i}: missing {', '.join(missing)}")
            for name in inputs.categorical:
                if record[name] not in (0, 1):
                    raise ValueError(f"clinical record {i}: {name} must be 0/1 or a boolean")
        categorical = torch.tensor(
            [[int(r[name]) for name in inputs.categorical] for r in clinical], dtype=torch.long
        )
        numerical = torch.tensor(
            [[float(r[name]) / divisor for name, divisor in inputs.numerical] for r in clinical],
            dtype=torch.float32,
        )
        return categorical, numerical

    def _inputs(
        self, images: Sequence[np.ndarray], clinical: Sequence[Clinical] | None
    ) -> list[torch.Tensor]:
        """The network's inputs on the device: the image batch, then clinical tensors if used."""
        if self.needs_clinical and (clinical is None or len(clinical) != len(images)):
            raise ValueError("this model needs one clinical record per image")
        inputs = [self.prepare(images).to(self.device)]
        if clinical is not None and self.needs_clinical:
            inputs.extend(t.to(self.device) for t in self.clinical_tensors(clinical))
        return inputs

    def probabilities(
        self, images: Sequence[np.ndarray], clinical: Sequence[Clinical] | None = None
    ) -> np.ndarray:
        """[B, tasks, 2] softmax probabilities (tasks in model.json `heads` order).

        `clinical` (one record per image) is required by clinical models, ignored by others.
        """
        inputs = self._inputs(images, clinical)
        with self.lock, torch.inference_mode():
            logits = self.network(*inputs)
            probs = torch.softmax(torch.stack(logits, dim=1).float(), dim=2)
        return probs.cpu().numpy()

    def predict_explained(
        self,
        images: Sequence[np.ndarray],
        clinical: Sequence[Clinical] | None = None,
        clock: Stopwatch | None = None,
    ) -> list[tuple[dict[str, TaskResult], dict[str, HeatMap]]]:
        """`predict_batch` and both Grad-CAM++ maps of every image, from ONE forward pass.

        The maps are `explain`'s, at the model's input resolution (`to_canonical` stretches
        them onto the canonical image). Networks whose explanation layer is not their last
        feature map get the same answer from a prediction and one explanation per image.
        `clock` gets the stages `predict` and `explain`.
        """
        clock = clock or Stopwatch()
        inputs = self._inputs(images, clinical)
        with self.lock:
            categorical, numerical = (inputs[1], inputs[2]) if len(inputs) == 3 else (None, None)
            single = self.explainer.forward_explained(inputs[0], categorical, numerical, clock)
        if single is None:
            records = clinical if clinical is not None and self.needs_clinical else None
            with clock.stage("predict"):
                answers = self.predict_batch(images, clinical)
            with clock.stage("explain"):
                return [
                    (answer, self._explain_input(inputs[0][i : i + 1], records, i))
                    for i, answer in enumerate(answers)
                ]
        logits, maps = single
        probs = torch.softmax(logits.float(), dim=2).cpu().numpy()
        return list(zip(self._results(probs), maps, strict=True))

    def _explain_input(
        self, x: torch.Tensor, clinical: Sequence[Clinical] | None, index: int
    ) -> dict[str, HeatMap]:
        categorical = numerical = None
        if clinical is not None:
            record = [clinical[index]]
            categorical, numerical = (t.to(self.device) for t in self.clinical_tensors(record))
        return self.explainer.explain(x, categorical, numerical)

    def predict_batch(
        self, images: Sequence[np.ndarray], clinical: Sequence[Clinical] | None = None
    ) -> list[dict[str, TaskResult]]:
        """One `{task: TaskResult}` per image, in input order."""
        return self._results(self.probabilities(images, clinical))

    def _results(self, probs: np.ndarray) -> list[dict[str, TaskResult]]:
        return [
            {task: self._result(task, float(row[j, 1])) for j, task in enumerate(TASKS)}
            for row in probs
        ]

    def explain(self, image: np.ndarray, clinical: Clinical | None = None) -> dict[str, HeatMap]:
        """Grad-CAM++ maps of both tasks for one canonical image, at that image's geometry."""
        if self.needs_clinical and clinical is None:
            raise ValueError("this model needs one clinical record per image")
        x = self.prepare([image]).to(self.device)
        records = [clinical] if clinical is not None and self.needs_clinical else None
        maps = self._explain_input(x, records, 0)
        height, width = image.shape[:2]
        return {task: to_canonical(heatmap, width, height) for task, heatmap in maps.items()}

    def _result(self, task: str, probability: float) -> TaskResult:
        spec = self.manifest.tasks[task]
        return TaskResult(
            task=task,
            probability=probability,
            prediction=int(probability >= spec.threshold),
            risk_band=self.manifest.risk_band(probability),
            reference_marker=spec.reference_marker,
        )


def load_predictor(
    directory: Path | str,
    device: str = "auto",
    runtime: Runtime = "torch",
    cache_dir: Path | None = None,
    release_torch_backbone: bool = False,
) -> Predictor:
    """A model folder as a `Predictor` on `runtime`: how `mtecg serve` and the CLI load one.

    With an ONNX runtime on a CPU and a cached graph whose record vouches for this package
    (`onnx_backbone.from_cache`), no timm backbone is built, or imported: only the heads'
    weights are loaded around the graph. Without such a graph, a child process exports and
    checks it into the cache first (`mtecg.model.graph_export`: the export's memory and timm
    never enter this process). Otherwise (the torch runtime, a GPU, no cache folder, a published
    checkpoint folder, or a head the record cannot vouch for) it is
    `Predictor(load_package(directory))`, which refuses the same broken packages with the same
    errors (the weights' size and sha256 are checked before anything else in both cases).
    """
    directory = Path(directory)
    if runtime == "torch" or pick_device(device).type != "cpu" or cache_dir is None:
        package = load_package(directory)
    elif not (directory / MANIFEST_FILE).exists():
        package = load_package(directory)  # a published checkpoint folder, converted
    else:
        from mtecg.model import onnx_backbone

        manifest, state, source = read_verified(directory)
        fast = onnx_backbone.from_cache(manifest, state, runtime, cache_dir)
        if fast is None:  # a first start: exported and checked apart (`graph_export`)
            from mtecg.model.graph_export import export_in_child

            export_in_child(directory, runtime, cache_dir)
            fast = onnx_backbone.from_cache(manifest, state, runtime, cache_dir)
        if fast is not None:
            head_only = ModelPackage(manifest, fast.torch_network, directory)
            return Predictor(head_only, device, runtime, cache_dir, accelerated=fast)
        package = ModelPackage(manifest, network_from_state(manifest, state, source), directory)
    return Predictor(package, device, runtime, cache_dir, release_torch_backbone)
