"""One loaded model serving probabilities: canonical images in, per-task results out.

The network is loaded once and shared. Forward passes run under `torch.inference_mode()` and
hold `Predictor.lock`, which anything that changes the network (Grad-CAM hooks) must also hold,
so concurrent callers never see a half-hooked network.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from mtecg.model.explain import Explainer, HeatMap, to_canonical
from mtecg.model.input_transform import to_batch
from mtecg.model.manifest import HEADS, ModelManifest
from mtecg.model.package import ModelPackage

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

    def __init__(self, package: ModelPackage, device: str = "auto") -> None:
        self.manifest: ModelManifest = package.manifest
        self.device = pick_device(device)
        self.network = package.network.to(self.device).eval()
        self.lock = threading.RLock()
        # Grad-CAM++ hooks go on the same network, so the explainer shares the forward lock.
        self.explainer = Explainer(self.network, lock=self.lock)

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

    def probabilities(
        self, images: Sequence[np.ndarray], clinical: Sequence[Clinical] | None = None
    ) -> np.ndarray:
        """[B, tasks, 2] softmax probabilities (tasks in model.json `heads` order).

        `clinical` (one record per image) is required by clinical models, ignored by others.
        """
        if self.needs_clinical and (clinical is None or len(clinical) != len(images)):
            raise ValueError("this model needs one clinical record per image")
        x = self.prepare(images).to(self.device)
        inputs = [x]
        if clinical is not None and self.needs_clinical:
            inputs.extend(t.to(self.device) for t in self.clinical_tensors(clinical))
        with self.lock, torch.inference_mode():
            logits = self.network(*inputs)
            probs = torch.softmax(torch.stack(logits, dim=1).float(), dim=2)
        return probs.cpu().numpy()

    def predict_batch(
        self, images: Sequence[np.ndarray], clinical: Sequence[Clinical] | None = None
    ) -> list[dict[str, TaskResult]]:
        """One `{task: TaskResult}` per image, in input order."""
        probs = self.probabilities(images, clinical)
        return [
            {task: self._result(task, float(row[j, 1])) for j, task in enumerate(HEADS)}
            for row in probs
        ]

    def explain(self, image: np.ndarray, clinical: Clinical | None = None) -> dict[str, HeatMap]:
        """Grad-CAM++ maps of both tasks for one canonical image, at that image's geometry."""
        if self.needs_clinical and clinical is None:
            raise ValueError("this model needs one clinical record per image")
        x = self.prepare([image]).to(self.device)
        categorical = numerical = None
        if clinical is not None and self.needs_clinical:
            categorical, numerical = (t.to(self.device) for t in self.clinical_tensors([clinical]))
        maps = self.explainer.explain(x, categorical, numerical)
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
