"""Where a screening's images live: DATA_DIR/<yyyy>/<mm>/<id>/.

What is stored is what cannot be made again: `canonical.png` (greyscale when the image is grey,
as automatic layout makes it; RGB otherwise) and each task's Grad-CAM++ map at the model's input
resolution, `<task>.heatmap.png` (16-bit greyscale, heat x 65535). That is about a tenth of the
bytes of three full-size RGB PNGs, and a tenth of the time to encode and fsync them. The overlay
a user sees (`<task>.png`, `mtecg.model.overlay.render_overlay`) is rendered from those two the
first time it is asked for and kept beside them as a cache; a lost cache is rendered again.
Screenings stored before this (rows naming `<task>.png` itself) are served as they are.

The stored files are written (atomically, each complete or absent, fsynced) before the database
row that points at them is committed, and removed again if that commit fails, so a row never
points at a missing image and a failed upload leaves nothing behind. A process killed between
the two leaves a folder with no row; `sweep_orphans` removes those at the next start.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Final

import numpy as np
from PIL import Image

from mtecg.imageio import fsync_folder, write_png_atomically
from mtecg.layout.result import RGBImage
from mtecg.model.explain import HeatMap
from mtecg.model.overlay import render_overlay

HEATMAP_SUFFIX: Final = ".heatmap.png"
HEAT_SCALE: Final = 65535  # 16-bit levels: the stored heat is within 1e-5 of the computed one


def folder_for(created_at: datetime, screening_id: uuid.UUID) -> Path:
    """The screening's folder relative to DATA_DIR."""
    return Path(f"{created_at:%Y}", f"{created_at:%m}", str(screening_id))


def write_images(
    data_dir: Path, relative: Path, canonical: RGBImage, heatmaps: Mapping[str, HeatMap]
) -> dict[str, str]:
    """Writes the canonical image and each task's map; returns their paths under DATA_DIR.

    `heatmaps` are best given at model resolution (`ModelOutput.maps`): any size is stretched
    onto the image when an overlay is rendered.
    """
    folder = data_dir / relative
    grey = bool(np.array_equal(canonical[:, :, 0], canonical[:, :, 1])) and bool(
        np.array_equal(canonical[:, :, 0], canonical[:, :, 2])
    )
    paths = {"canonical": folder / "canonical.png"}
    # Each file is flushed before its rename; the folder (every rename) once, at the end.
    write_png_atomically(
        canonical[:, :, 0] if grey else canonical, paths["canonical"], sync_folder=False
    )
    for task, heat in heatmaps.items():
        paths[task] = folder / f"{task}{HEATMAP_SUFFIX}"
        levels = np.round(np.clip(heat, 0.0, 1.0) * HEAT_SCALE).astype(np.uint16)
        write_png_atomically(levels, paths[task], sync_folder=False)
    fsync_folder(folder)
    return {name: str(path.relative_to(data_dir)) for name, path in paths.items()}


def read_heatmap(path: Path) -> HeatMap:
    """A stored `<task>.heatmap.png` back as float32 heat in [0, 1]."""
    with Image.open(path) as image:
        levels = np.asarray(image)
    heat: HeatMap = (levels.astype(np.float32) / HEAT_SCALE).astype(np.float32)
    return heat


def read_canonical(path: Path) -> RGBImage:
    """A stored canonical image as RGB uint8, whether it was stored grey or in colour."""
    with Image.open(path) as image:
        rgb: RGBImage = np.asarray(image.convert("RGB"))
    return rgb


def folder_of(images: Mapping[str, str]) -> Path:
    """The folder (relative to DATA_DIR) a stored row's images are in."""
    return Path(images["canonical"]).parent


def remove_images(data_dir: Path, relative: Path) -> None:
    shutil.rmtree(data_dir / relative, ignore_errors=True)


def image_file(data_dir: Path, images: Mapping[str, str], name: str) -> Path | None:
    """The file to serve for one image (an overlay is rendered and cached on first request),
    or None when the row has no such image or its stored files are gone."""
    relative = images.get(name)
    if relative is None:
        return None
    stored = data_dir / relative
    if not relative.endswith(HEATMAP_SUFFIX):
        return stored  # the canonical image, or an overlay stored whole by an older version
    overlay = stored.with_name(f"{name}.png")
    if overlay.is_file():
        return overlay
    canonical = data_dir / images["canonical"]
    if not stored.is_file() or not canonical.is_file():
        return None
    image = render_overlay(read_canonical(canonical), read_heatmap(stored))
    write_png_atomically(np.asarray(image), overlay)
    return overlay


def _latest_screening_folders(data_dir: Path) -> Iterator[tuple[uuid.UUID, Path]]:
    """The DATA_DIR/<yyyy>/<mm>/<id> folders of the two newest months, by screening id.

    Earlier starts swept everything older, so only the last process's uploads can have left
    orphans, and they are filed under the newest months (two, for a crash at a month's turn);
    a start never walks the whole archive.
    """
    months = sorted(data_dir.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]"))[-2:]
    for month in months:
        for folder in month.iterdir():
            try:
                yield uuid.UUID(folder.name), folder
            except ValueError:
                continue


def sweep_orphans(
    data_dir: Path,
    stored: Callable[[list[uuid.UUID]], set[uuid.UUID]],
    older_than: float,
    batch: int = 500,
) -> int:
    """Removes recent image folders older than `older_than` (a timestamp) that no row points at.

    Only folders written before this process started are candidates: any upload that wrote
    them belonged to a process that is gone, so their row will never be committed. `stored`
    says which of a batch of ids have a row. Returns how many folders were removed.
    """
    candidates = [
        (screening_id, folder)
        for screening_id, folder in _latest_screening_folders(data_dir)
        if folder.stat().st_mtime < older_than
    ]
    removed = 0
    for start in range(0, len(candidates), batch):
        chunk = candidates[start : start + batch]
        known = stored([screening_id for screening_id, _ in chunk])
        for screening_id, folder in chunk:
            if screening_id not in known:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed
