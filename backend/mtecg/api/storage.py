"""Where a screening's images live: DATA_DIR/<yyyy>/<mm>/<id>/{canonical,scar,lvef}.png.

Images are written (atomically, each file complete or absent) before the database row that
points at them is committed, and removed again if that commit fails, so a row never points at
a missing image and a failed upload leaves nothing behind.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping
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
