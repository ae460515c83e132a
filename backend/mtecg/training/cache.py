"""Canonical images of a manifest's printouts, computed once and cached by content.

Training runs many epochs over the same files and often re-runs with another config; the
layout stage is the expensive part of reading a printout, so its output is kept on disk,
keyed by the file's sha256 and the layout profile (a renamed or moved file is not re-read,
an edited one is). Files the pipeline refuses are reported, not silently dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from mtecg.errors import Rejection
from mtecg.imageio import write_png_atomically
from mtecg.preprocess import preprocess


@dataclass(frozen=True)
class Cached:
    """Where a printout's canonical image is, or why it has none."""

    source: Path
    image: Path | None
    rejection: str | None


def _one(source: Path, cache_dir: Path, profile: str) -> Cached:
    data = source.read_bytes()
    key = hashlib.sha256(data).hexdigest()
    target = cache_dir / f"{key}-{profile}.png"
    if target.exists():
        return Cached(source, target, None)
    try:
        result = preprocess(data, profile)
    except Rejection as rejection:
        return Cached(source, None, rejection.code.value)
    write_png_atomically(result.layout.canonical, target)
    return Cached(source, target, None)


def cache_canonical(
    sources: Iterable[Path], cache_dir: Path, profile: str = "auto", workers: int = 2
) -> list[Cached]:
    """Canonical images for `sources`, in order, computing only the ones not cached yet.

    Worker processes are spawned, not forked: the caller may hold torch threads.
    """
    files = list(sources)
    cache_dir.mkdir(parents=True, exist_ok=True)
    if workers <= 1:
        return [_one(f, cache_dir, profile) for f in files]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return list(
            pool.map(_one, files, [cache_dir] * len(files), [profile] * len(files), chunksize=4)
        )
