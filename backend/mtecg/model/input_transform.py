"""Canonical image -> network input, exactly as the model package describes it.

One function for serving and training alike, so a model is trained on the very pixels it will
be asked about (resize without keeping the aspect ratio, scale to [0, 1], normalise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
import torch

from mtecg.model.manifest import InputSpec

_INTERPOLATION: Final = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR}
# The normalisation of the published models (ImageNet statistics); new packages use it too.
IMAGENET_MEAN: Final = (0.485, 0.456, 0.406)
IMAGENET_STD: Final = (0.229, 0.224, 0.225)


def imagenet_input(side: int, interpolation: str, geometry: str = "canonical-6x2") -> InputSpec:
    """A square `side` x `side` input with the ImageNet normalisation of the published models,
    the input every model mtecg trains (and every test or benchmark model) uses."""
    return InputSpec(
        size=(side, side),
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        interpolation=interpolation,
        geometry=geometry,
    )


def to_input(image: np.ndarray, spec: InputSpec) -> npt.NDArray[np.float32]:
    """One RGB uint8 image -> normalised float32 H x W x 3 at the model's input size."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 HxWx3 image, got {image.dtype} {image.shape}")
    resized = cv2.resize(
        image, (spec.width, spec.height), interpolation=_INTERPOLATION[spec.interpolation]
    )
    mean = np.asarray(spec.mean, dtype=np.float32)
    std = np.asarray(spec.std, dtype=np.float32)
    normalised: npt.NDArray[np.float32] = (resized.astype(np.float32) / 255.0 - mean) / std
    return normalised


def to_tensor(image: np.ndarray, spec: InputSpec) -> torch.Tensor:
    """One image as a [3, H, W] tensor."""
    return torch.from_numpy(to_input(image, spec)).permute(2, 0, 1).contiguous()


def to_batch(images: Sequence[np.ndarray], spec: InputSpec) -> torch.Tensor:
    """Images as one [B, 3, H, W] batch; a bad image is named by its position."""
    tensors = []
    for i, image in enumerate(images):
        try:
            tensors.append(to_tensor(image, spec))
        except ValueError as error:
            raise ValueError(f"image {i}: {error}") from None
    return torch.stack(tensors)
