"""Training datasets: shapes, labels, clinical encoding and reproducible augmentation."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from mtecg.training.dataset import CanonicalDataset, Item, augment


def _canonical(tmp_path: Path) -> Path:
    image = np.full((2100, 1402, 3), 255, np.uint8)
    image[170:180, :, :] = 0  # a flat "trace"
    path = tmp_path / "c.png"
    Image.fromarray(image).save(path)
    return path


def _to_tensor(image: np.ndarray) -> torch.Tensor:
    small = cv2.resize(image, (29, 42), interpolation=cv2.INTER_AREA).astype(np.float32)
    return torch.from_numpy(small / 255).permute(2, 0, 1)


def test_items_give_images_labels_and_clinical(tmp_path: Path) -> None:
    item = Item(_canonical(tmp_path), scar=1, low_ef=0, clinical=(1, 0, 1, 0, 0, 63.0))
    plain = CanonicalDataset([item], _to_tensor)
    image, scar, low_ef = plain[0]
    assert image.shape == (3, 42, 29) and (int(scar), int(low_ef)) == (1, 0)
    with_clinical = CanonicalDataset([item], _to_tensor, clinical=True)
    *_, flags, age = with_clinical[0]
    assert flags.tolist() == [1, 0, 1, 0, 0] and age.item() == np.float32(0.63)


def test_augmentation_is_mild_reproducible_and_varies_by_epoch(tmp_path: Path) -> None:
    original = np.asarray(Image.open(_canonical(tmp_path)))
    a = augment(original, np.random.default_rng(1))
    b = augment(original, np.random.default_rng(1))
    assert np.array_equal(a, b)
    assert a.shape == original.shape and not np.array_equal(a, original)
    rows = np.flatnonzero((a < 128).all(axis=(1, 2)) | ((a < 128).mean(axis=(1, 2)) > 0.5))
    assert rows.size and abs(float(rows.mean()) - 174.5) < 20  # the trace barely moves
    item = Item(_canonical(tmp_path), 0, 0, None)
    dataset = CanonicalDataset([item], _to_tensor, augment_seed=3)
    first = dataset[0][0]
    dataset.set_epoch(1)
    assert not torch.equal(first, dataset[0][0])


def test_images_kept_at_working_size_feed_the_network_what_full_size_images_do(
    tmp_path: Path,
) -> None:
    """Preloading shrinks once; the network input is close to decoding the full image."""
    item = Item(_canonical(tmp_path), 1, 0, None)
    full = CanonicalDataset([item], _to_tensor)[0][0]
    kept = CanonicalDataset([item], _to_tensor, working_size=(58, 84))
    (tmp_path / "c.png").unlink()  # decoded once at construction: the file is no longer read
    image = kept[0][0]
    assert image.shape == full.shape
    assert float((image - full).abs().max()) < 0.1
