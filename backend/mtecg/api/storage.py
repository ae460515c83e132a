"""Where a screening's images live: DATA_DIR/<yyyy>/<mm>/<id>/{canonical,scar,lvef}.png.

Images are written (atomically, each file complete or absent) before the database row that
points at them is committed, and removed again if that commit fails, so a row never points at
a missing image and a failed upload leaves nothing behind. A process killed between the two
leaves a folder with no row; `sweep_orphans` removes those at the next start.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Final

from mtecg.layout.result import RGBImage
from mtecg.model.explain import HeatMap
from mtecg.model.overlay import write_explanation_images

IMAGE_NAMES: Final = ("canonical", "scar", "lvef")


def folder_for(created_at: datetime, screening_id: uuid.UUID) -> Path:
    """The screening's folder relative to DATA_DIR."""
    return Path(f"{created_at:%Y}", f"{created_at:%m}", str(screening_id))


def write_images(
    data_dir: Path, relative: Path, canonical: RGBImage, heatmaps: Mapping[str, HeatMap]
) -> dict[str, str]:
    """Writes the three images; returns their paths relative to DATA_DIR, by name."""
    paths = write_explanation_images(data_dir / relative, canonical, heatmaps)
    return {name: str(path.relative_to(data_dir)) for name, path in paths.items()}


def folder_of(images: Mapping[str, str]) -> Path:
    """The folder (relative to DATA_DIR) a stored row's images are in."""
    return Path(images["canonical"]).parent


def remove_images(data_dir: Path, relative: Path) -> None:
    shutil.rmtree(data_dir / relative, ignore_errors=True)


def image_file(data_dir: Path, images: Mapping[str, str], name: str) -> Path | None:
    """The stored file of one image, or None when the row has no such image."""
    relative = images.get(name)
    return None if relative is None else data_dir / relative


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
