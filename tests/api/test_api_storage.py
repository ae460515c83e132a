"""Stored screening images: small files on disk, the same overlays served as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mtecg.api import storage
from mtecg.model.explain import to_canonical
from mtecg.model.overlay import render_overlay
from mtecg.tasks import IMAGE_NAMES


def grey_canonical() -> np.ndarray:
    rng = np.random.default_rng(1)
    grey = np.full((2100, 1402), 255, np.uint8)
    for _ in range(300):
        y, x = rng.integers(0, 2090), rng.integers(0, 1390)
        grey[y : y + 4, x : x + 12] = rng.integers(0, 120)
    return np.repeat(grey[:, :, None], 3, axis=2)


def model_maps() -> dict[str, np.ndarray]:
    yy, xx = np.mgrid[0:96, 0:96].astype(np.float32) / 95.0
    return {"scar": (yy * xx).astype(np.float32), "lvef": (1.0 - yy).astype(np.float32)}


def test_stores_grey_canonical_and_16_bit_maps_at_model_resolution(tmp_path: Path) -> None:
    canonical, maps = grey_canonical(), model_maps()
    images = storage.write_images(tmp_path, Path("2026/12/x"), canonical, maps)
    assert sorted(images) == sorted(IMAGE_NAMES)
    with Image.open(tmp_path / images["canonical"]) as stored:
        assert stored.mode == "L" and stored.size == (1402, 2100)
    assert np.array_equal(storage.read_canonical(tmp_path / images["canonical"]), canonical)
    for task, heat in maps.items():
        with Image.open(tmp_path / images[task]) as stored:
            assert stored.mode.startswith("I;16") and stored.size == (96, 96)
        assert np.abs(storage.read_heatmap(tmp_path / images[task]) - heat).max() <= 1e-5
    total = sum((tmp_path / p).stat().st_size for p in images.values())
    assert total < 1_000_000  # three full-size RGB PNGs were about 2.2 MB


def test_colour_canonical_stays_rgb(tmp_path: Path) -> None:
    canonical = grey_canonical()
    canonical[100:140, 100:400] = (200, 30, 30)
    images = storage.write_images(tmp_path, Path("f"), canonical, model_maps())
    with Image.open(tmp_path / images["canonical"]) as stored:
        assert stored.mode == "RGB"
    assert np.array_equal(storage.read_canonical(tmp_path / images["canonical"]), canonical)


@pytest.mark.parametrize("task", ["scar", "lvef"])
def test_overlay_on_request_is_the_overlay_of_the_computed_map(tmp_path: Path, task: str) -> None:
    canonical, maps = grey_canonical(), model_maps()
    images = storage.write_images(tmp_path, Path("f"), canonical, maps)
    served = storage.image_file(tmp_path, images, task)
    assert served is not None and served.name == f"{task}.png"
    with Image.open(served) as overlay:
        got = np.asarray(overlay.convert("RGB")).astype(int)
    # What the service used to store: the overlay of the map stretched onto the image.
    want = np.asarray(render_overlay(canonical, to_canonical(maps[task], 1402, 2100))).astype(int)
    assert got.shape == want.shape
    # 16-bit heat can round to the neighbouring one of jet's 256 colours (a step of a few
    # levels), and only where the heat sits on a rounding boundary: rare, and never more.
    assert np.abs(got - want).max() <= 8
    assert (np.abs(got - want) > 0).mean() < 0.005
    # Cached: the second request serves the same file without rendering it again.
    before = served.stat().st_mtime_ns
    again = storage.image_file(tmp_path, images, task)
    assert again == served and again.stat().st_mtime_ns == before


def test_overlay_of_a_missing_map_is_none_and_older_rows_are_served_as_stored(
    tmp_path: Path,
) -> None:
    canonical, maps = grey_canonical(), model_maps()
    images = storage.write_images(tmp_path, Path("f"), canonical, maps)
    (tmp_path / images["scar"]).unlink()
    assert storage.image_file(tmp_path, images, "scar") is None
    older = {"canonical": "o/canonical.png", "scar": "o/scar.png", "lvef": "o/lvef.png"}
    assert storage.image_file(tmp_path, older, "scar") == tmp_path / "o/scar.png"
    assert storage.image_file(tmp_path, older, "nothing") is None
