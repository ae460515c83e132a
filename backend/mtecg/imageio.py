"""Writing images so that a reader never sees a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image


def write_png_atomically(image: npt.NDArray[np.uint8], path: Path) -> None:
    """Writes a PNG so that `path` is either absent or complete, never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as handle:
            Image.fromarray(image).save(handle, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
