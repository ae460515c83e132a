"""Torch datasets over cached canonical images, with printout-plausible augmentation.

Augmentation mimics what really varies between two printouts of the same ECG after the
layout stage has normalised them: a slightly different crop (a few pixels of shift and
under 2 % of scale), trace thickness, print darkness and scan blur. Nothing flips or rotates:
lead positions carry meaning.

Decoding a 1402 x 2100 canonical PNG and augmenting it at full size costs more than the
network's own step on a CPU. With `working_size`, each image is decoded once, shrunk (area) to
that size and kept in memory, and augmented there; twice the network's input size keeps the
final resize to the input a plain 2:1 area reduction, close to what serving does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import torch
from PIL import Image
from torch.utils.data import Dataset

Canonical = npt.NDArray[np.uint8]
Transform = Callable[[Canonical], torch.Tensor]


@dataclass(frozen=True)
class Item:
    """One training example: its cached canonical image and labels."""

    image: Path
    scar: int
    low_ef: int
    clinical: tuple[float, ...] | None


def augment(image: Canonical, rng: np.random.Generator) -> Canonical:
    """A plausible re-print of the same canonical ECG (see module docstring)."""
    h, w = image.shape[:2]
    scale = rng.uniform(0.985, 1.015)
    dx, dy = rng.uniform(-4, 4, size=2)
    matrix = np.array([[scale, 0, dx + (1 - scale) * w / 2], [0, scale, dy + (1 - scale) * h / 2]])
    out = cv2.warpAffine(image, matrix, (w, h), borderValue=(255, 255, 255))
    stroke = rng.integers(-1, 2)
    if stroke:
        kernel = np.ones((2, 2), np.uint8)
        out = cv2.erode(out, kernel) if stroke > 0 else cv2.dilate(out, kernel)
    if rng.random() < 0.5:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.2))
    darkness = rng.uniform(0.75, 1.0)  # lighter or darker print of the traces
    out = 255 - np.clip((255 - out.astype(np.float32)) * darkness, 0, 255)
    return np.asarray(out, dtype=np.uint8)


def _decode(path: Path, size: tuple[int, int] | None) -> Canonical:
    """A cached canonical image as RGB, shrunk to `size` (width, height) when given."""
    image = np.asarray(Image.open(path).convert("RGB"))
    if size is None:
        return image
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


class CanonicalDataset(Dataset[tuple[torch.Tensor, ...]]):
    """(image tensor, scar, low_ef[, categorical, numerical]) for each item.

    `transform` is the model package's own input transform, so training and serving feed
    the network identically. Clinical inputs follow docs/domain.md §3: five 0/1 features as
    integers, and age / 100.
    """

    def __init__(
        self,
        items: Sequence[Item],
        transform: Transform,
        augment_seed: int | None = None,
        clinical: bool = False,
        working_size: tuple[int, int] | None = None,
    ) -> None:
        self.items = list(items)
        self.transform = transform
        self.augment_seed = augment_seed
        self.clinical = clinical
        self._epoch = 0
        self._kept = (
            [_decode(item.image, working_size) for item in self.items] if working_size else None
        )

    def set_epoch(self, epoch: int) -> None:
        """New augmentation draws each epoch, still reproducible from the seed."""
        self._epoch = epoch

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        item = self.items[index]
        image = self._kept[index] if self._kept is not None else _decode(item.image, None)
        if self.augment_seed is not None:
            rng = np.random.default_rng((self.augment_seed, self._epoch, index))
            image = augment(image, rng)
        labels = (torch.tensor(item.scar), torch.tensor(item.low_ef))
        if not self.clinical:
            return (self.transform(image), *labels)
        if item.clinical is None:
            raise ValueError(f"item {index} has no clinical features but the model needs them")
        flags = torch.tensor([int(v) for v in item.clinical[:5]], dtype=torch.long)
        age = torch.tensor([item.clinical[5] / 100.0], dtype=torch.float32)
        return (self.transform(image), *labels, flags, age)
