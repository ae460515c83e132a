"""Writing images, JSON and other files so that a reader never sees a half-written one."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
from PIL import Image


@contextmanager
def replace_atomically(
    path: Path, *, create_folder: bool = True, sync_folder: bool = True
) -> Iterator[BinaryIO]:
    """A file to write that appears at `path` complete, or not at all, when the block ends.

    It is written under a temporary name in the same folder, flushed to disk, renamed over
    `path`, and the folder flushed too, so not even a power loss leaves a half-written file.
    With `create_folder=False` a folder that was removed meanwhile stays removed (the write
    fails instead of resurrecting it). With `sync_folder=False` the caller flushes the folder
    itself (`fsync_folder`) before relying on the rename: one flush for several files.
    """
    if create_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        if sync_folder:
            fsync_folder(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_png_atomically(
    image: npt.NDArray[np.uint8] | npt.NDArray[np.uint16], path: Path, *, sync_folder: bool = True
) -> None:
    """Writes a PNG so that `path` is either absent or complete, never half-written.

    RGB or greyscale uint8, or greyscale uint16 (16-bit PNG).

    The file and its folder are flushed to disk before returning (the folder only with
    `sync_folder`, see `replace_atomically`): the service commits a screening's row only after
    its images are written, and after a power loss that row must not point at an empty file.
    """
    with replace_atomically(path, sync_folder=sync_folder) as handle:
        # zlib level 1: a third of the encoding time of the default level (6) for files
        # about 1.5x larger; on the service's path three 3 MP PNGs are written per upload.
        Image.fromarray(image).save(handle, format="PNG", compress_level=1)


def write_json_atomically(data: object, path: Path) -> None:
    """Writes `data` as JSON with the same guarantee as `write_png_atomically`, into an
    existing folder only (a folder that was removed meanwhile stays removed)."""
    with replace_atomically(path, create_folder=False) as handle:
        handle.write(json.dumps(data, separators=(",", ":")).encode())


def copy_atomically(source: Path, path: Path) -> None:
    """Copies a file with the same guarantee as `write_png_atomically`."""
    with replace_atomically(path) as handle, source.open("rb") as original:
        shutil.copyfileobj(original, handle)


def fsync_folder(folder: Path) -> None:
    """Makes a rename in `folder` durable (POSIX needs the directory itself flushed)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
