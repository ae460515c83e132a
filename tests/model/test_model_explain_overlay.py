"""Overlay images the way the app serves them: `mtecg.api.storage.write_images` stores the
canonical image and the model-resolution maps, and `image_file` renders (and caches) each
overlay on its first request. Canonical size, coloured where the map is hot, lead labels,
reproducible files; the CLI's and batch's writer (`write_explanation_images`) gives the same
overlay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from mtecg.api import storage
from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX, PANEL_H_PX, PANEL_W_PX
from mtecg.model.overlay import write_explanation_images


def page() -> np.ndarray:
    """White canonical page with a black horizontal trace through every panel row."""
    image = np.full((CANONICAL_H_PX, CANONICAL_W_PX, 3), 255, np.uint8)
    for row in range(6):
        y = row * PANEL_H_PX + PANEL_H_PX // 2
        image[y - 2 : y + 3, :] = 0
    return image


def hot_map() -> np.ndarray:
    """Model-resolution map, hot on the panel at row 3, right column (lead V4)."""
    heat = np.zeros((384, 384), np.float32)
    heat[3 * 64 : 4 * 64, 192:] = 1.0
    return heat


def written(folder: Path, heatmaps: dict[str, np.ndarray]) -> dict[str, Path]:
    """What the app serves for one stored screening: the canonical image and each overlay."""
    images = storage.write_images(folder, Path("2026/12/screening"), page(), heatmaps)
    served = {name: storage.image_file(folder, images, name) for name in images}
    assert all(path is not None for path in served.values())
    return {name: path for name, path in served.items() if path is not None}


def read(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def test_canonical_is_stored_unchanged(tmp_path: Path) -> None:
    paths = written(tmp_path, {"scar": hot_map()})
    assert set(paths) == {"canonical", "scar"}
    np.testing.assert_array_equal(read(paths["canonical"]), page())


def test_overlay_is_canonical_size_and_coloured_only_where_hot(tmp_path: Path) -> None:
    canonical = page()
    image = read(written(tmp_path, {"scar": hot_map()})["scar"])
    assert image.shape == (CANONICAL_H_PX, CANONICAL_W_PX, 3)
    hot = (slice(3 * PANEL_H_PX + 60, 4 * PANEL_H_PX - 20), slice(PANEL_W_PX + 80, None))
    assert np.abs(image[hot].astype(int) - canonical[hot]).mean() > 50
    cold = (slice(60, 2 * PANEL_H_PX), slice(120, PANEL_W_PX))
    np.testing.assert_array_equal(image[cold], canonical[cold])
    # The trace stays dark under the colour.
    trace_y = 3 * PANEL_H_PX + PANEL_H_PX // 2
    assert image[trace_y, PANEL_W_PX + 300].max() < 10


def test_overlay_labels_every_panel(tmp_path: Path) -> None:
    image = read(written(tmp_path, {"lvef": np.zeros((384, 384), np.float32)})["lvef"])
    for row in range(6):
        for col in range(2):
            corner = image[row * PANEL_H_PX : row * PANEL_H_PX + 40, col * PANEL_W_PX :][:, :80]
            assert (corner < 50).any(), f"no label ink in panel row {row} column {col}"


def test_stored_and_served_files_are_byte_for_byte_reproducible(tmp_path: Path) -> None:
    maps = {"scar": hot_map(), "lvef": hot_map()[::-1].copy()}
    first, second = written(tmp_path / "a", maps), written(tmp_path / "b", maps)
    for name in ("canonical", "scar", "lvef"):
        assert first[name].read_bytes() == second[name].read_bytes(), name
        heatmap = first[name].with_name(f"{name}{storage.HEATMAP_SUFFIX}")
        if name != "canonical":  # the stored map the overlay is rendered from
            assert heatmap.read_bytes() == second[name].with_name(heatmap.name).read_bytes()
    assert first["scar"].read_bytes() != first["lvef"].read_bytes()


def test_cli_writer_gives_the_apps_overlay(tmp_path: Path) -> None:
    """A 0/1 map survives the app's 16-bit storage exactly, so both paths render one image."""
    maps = {"scar": hot_map()}
    app, cli = written(tmp_path / "app", maps), write_explanation_images(tmp_path, page(), maps)
    np.testing.assert_array_equal(read(cli["scar"]), read(app["scar"]))
    np.testing.assert_array_equal(read(cli["canonical"]), read(app["canonical"]))
