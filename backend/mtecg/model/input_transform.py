"""Canonical image -> network input, exactly as the model package describes it.

One function for serving and training alike, so a model is trained on the very pixels it will
be asked about (resize without keeping the aspect ratio, scale to [0, 1], normalise).
"""

from __future__ import annotations

import functools
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


def _check(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 HxWx3 image, got {image.dtype} {image.shape}")


def _resized(image: np.ndarray, spec: InputSpec) -> np.ndarray:
    return cv2.resize(
        image, (spec.width, spec.height), interpolation=_INTERPOLATION[spec.interpolation]
    )


@functools.cache
def _levels(mean: tuple[float, ...], std: tuple[float, ...]) -> npt.NDArray[np.float32]:
    """[3, 256]: each channel's normalised value of every uint8 level, computed in float32
    exactly as `(level / 255 - mean) / std` is, so a lookup gives the very same numbers."""
    levels = np.arange(256, dtype=np.float32)[None, :] / np.float32(255.0)
    table: npt.NDArray[np.float32] = (
        levels - np.asarray(mean, dtype=np.float32)[:, None]
    ) / np.asarray(std, dtype=np.float32)[:, None]
    return table


def to_input(image: np.ndarray, spec: InputSpec) -> npt.NDArray[np.float32]:
    """One RGB uint8 image -> normalised float32 H x W x 3 at the model's input size."""
    _check(image)
    return np.ascontiguousarray(to_array([image], spec)[0].transpose(1, 2, 0))


def to_tensor(image: np.ndarray, spec: InputSpec) -> torch.Tensor:
    """One image as a [3, H, W] tensor."""
    _check(image)
    return torch.from_numpy(to_array([image], spec)[0])


def to_array(images: Sequence[np.ndarray], spec: InputSpec) -> npt.NDArray[np.float32]:
    """Images as one normalised [B, 3, H, W] float32 array; a bad image is named by position.

    Each image is resized as uint8 (the resize works per channel) and normalised by a lookup
    of its 256 levels straight into the batch: no float copy of the full-size image, no
    channel transpose. The numbers are those of resize, scale and normalise done in turn.
    """
    batch = np.empty((len(images), 3, spec.height, spec.width), dtype=np.float32)
    table = _levels(spec.mean, spec.std)
    for i, image in enumerate(images):
        try:
            _check(image)
        except ValueError as error:
            raise ValueError(f"image {i}: {error}") from None
        resized = _resized(image, spec)
        for channel in range(3):
            np.take(table[channel], resized[:, :, channel], out=batch[i, channel])
    return batch


def to_batch(images: Sequence[np.ndarray], spec: InputSpec) -> torch.Tensor:
    """Images as one [B, 3, H, W] batch (`to_array` as a tensor sharing its memory)."""
    return torch.from_numpy(to_array(images, spec))
