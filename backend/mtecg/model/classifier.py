"""`ECGClassifier`: the published library's Python interface, served by this app's pipeline.

Scripts written for the published library keep working: same constructor, same `predict`
answer. Underneath, a file goes through this app's ingest and layout (so printouts from other
hospitals are read correctly) and the model comes from a verified package.

Image inputs to `predict`:
- a path (str or Path) to a PDF, PNG or JPEG printout: preprocessed here, in this process (the
  caller chose to open their own file);
- a PIL image: used as the canonical image when it has the package's canonical size, otherwise
  treated as a photographed/scanned page and preprocessed like a file;
- a NumPy array: must already be the canonical RGB uint8 image.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mtecg.model.package import load_package
from mtecg.model.predictor import Clinical, Predictor, TaskResult
from mtecg.preprocess import Preprocessed, preprocess

ImageInput = str | Path | Image.Image | np.ndarray


class ECGClassifier:
    """Scar and LVEF < 50 % probabilities for one ECG at a time.

    `last_preprocessed` keeps the layout of the last file or page read, for callers that want
    to show it; share one instance between threads only through `predictor`.
    """

    def __init__(
        self,
        model_dir: Path | str,
        model_class: str = "multi-task",
        device: str = "cpu",
        round_probabilities: bool = True,
    ) -> None:
        package = load_package(model_dir)  # a package or a published folder
        variant = package.manifest.architecture.variant
        if model_class != variant:
            raise ValueError(f"model_class {model_class!r} does not match the model ({variant})")
        self.predictor = Predictor(package, device=device)
        self.round_probabilities = round_probabilities
        self.last_preprocessed: Preprocessed | None = None

    def canonical_image(self, image: ImageInput) -> np.ndarray:
        """The model's canonical RGB image for any accepted input (see the module doc)."""
        shape = self.predictor.manifest.input.canonical_shape
        if isinstance(image, str | Path):
            return self._preprocess(Path(image).read_bytes())
        if isinstance(image, Image.Image):
            if (image.height, image.width) == shape:
                return np.asarray(image.convert("RGB"))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="PNG")
            return self._preprocess(buffer.getvalue())
        if isinstance(image, np.ndarray):
            if image.shape != (*shape, 3) or image.dtype != np.uint8:
                raise ValueError(
                    f"a NumPy image must be the canonical RGB uint8 {shape[0]}x{shape[1]}x3 "
                    f"image, got {image.dtype} {image.shape}; pass a page as a path or PIL image"
                )
            return image
        raise TypeError(f"unsupported image type {type(image).__name__}")

    def _preprocess(self, data: bytes) -> np.ndarray:
        profile = self.predictor.manifest.input.profiles[0]
        self.last_preprocessed = preprocess(data, profile)
        return self.last_preprocessed.layout.canonical

    def predict(
        self, image: ImageInput, clinical: Mapping[str, Any] | None = None
    ) -> dict[str, dict[str, Any]]:
        """`{"scar": {"prediction": 0|1, "probability": {"negative", "positive"}}, "lvef": ...}`.

        Raises `mtecg.errors.Rejection` when a file or page is not a readable 12-lead ECG.
        """
        canonical = self.canonical_image(image)
        records: list[Clinical] | None = None if clinical is None else [clinical]
        (results,) = self.predictor.predict_batch([canonical], records)
        return {
            task: published_answer(result, self.round_probabilities)
            for task, result in results.items()
        }


def published_answer(result: TaskResult, round_probabilities: bool = True) -> dict[str, Any]:
    """One task's answer in the published library's shape (rounded to 3 decimals if asked)."""
    positive = result.probability
    negative = 1.0 - positive
    if round_probabilities:
        positive, negative = round(positive, 3), round(negative, 3)
    return {
        "prediction": result.prediction,
        "probability": {"negative": negative, "positive": positive},
    }
