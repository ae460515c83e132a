"""Writing images and small JSON files so that a reader never sees a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
from PIL import Image


def write_png_atomically(image: npt.NDArray[np.uint8], path: Path) -> None:
    """Writes a PNG so that `path` is either absent or complete, never half-written.

    The file and its folder are flushed to disk before returning: the service commits a
    screening's row only after its images are written, and after a power loss that row must
    not point at an empty file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # zlib level 1: a third of the encoding time of the default level (6) for files
    # about 1.5x larger; on the service's path three 3 MP PNGs are written per upload.
    _replace_atomically(
        path, lambda handle: Image.fromarray(image).save(handle, format="PNG", compress_level=1)
    )


def write_json_atomically(data: object, path: Path) -> None:
    """Writes `data` as JSON with the same guarantee as `write_png_atomically`, into an
    existing folder only (a folder that was removed meanwhile stays removed)."""
    _replace_atomically(
        path, lambda handle: handle.write(json.dumps(data, separators=(",", ":")).encode())
    )


def _replace_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """`write` fills a temporary file beside `path`, which is fsynced and renamed onto it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_folder(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_folder(folder: Path) -> None:
    """Makes a rename in `folder` durable (POSIX needs the directory itself flushed)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
