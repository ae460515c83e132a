"""The canonical-image cache: computed once, reused by content, refusals reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from mtecg.preprocess import preprocess
from mtecg.synth.dataset import make_record
from mtecg.training.cache import cache_canonical


def test_cache_matches_the_pipeline_and_is_reused(tmp_path: Path) -> None:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(make_record(4, "siriraj-grid", "pdf").data)
    junk = tmp_path / "b.pdf"
    junk.write_bytes(b"not a printout")
    cache = tmp_path / "cache"
    first = cache_canonical([pdf, junk], cache, workers=2)
    assert first[0].image is not None and first[0].rejection is None
    assert first[1].image is None and first[1].rejection == "unsupported_type"
    expected = preprocess(pdf.read_bytes()).layout.canonical
    assert np.array_equal(np.asarray(Image.open(first[0].image)), expected)
    stamp = first[0].image.stat().st_mtime_ns
    moved = tmp_path / "renamed.pdf"
    pdf.rename(moved)
    again = cache_canonical([moved], cache, workers=1)
    assert again[0].image == first[0].image
    assert again[0].image.stat().st_mtime_ns == stamp  # read from the cache, not recomputed
