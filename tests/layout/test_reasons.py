"""Rejections carry a stable `reason` naming the check that refused the page, and random noise
is refused as not an ECG instead of having a "scale" read from it."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
from PIL import Image

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.ingest import IngestLimits, open_document
from mtecg.layout import find_layout


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["colour", "grey"])
def test_random_noise_is_not_an_ecg(kind: str) -> None:
    rng = np.random.default_rng(4)
    if kind == "colour":
        pixels = rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)
    else:
        pixels = np.repeat(rng.integers(0, 256, (600, 800, 1), dtype=np.uint8), 3, axis=2)
    with pytest.raises(Rejection) as caught:
        find_layout(open_document(_png(pixels), IngestLimits()))
    assert caught.value.code is RejectCode.NOT_ECG
    assert caught.value.reason == Reason.NOT_A_PRINTOUT


def test_a_blank_page_says_so() -> None:
    with pytest.raises(Rejection) as caught:
        find_layout(open_document(_png(np.full((600, 800, 3), 255, np.uint8)), IngestLimits()))
    assert (caught.value.code, caught.value.reason) == (RejectCode.NOT_ECG, "blank_page")


def test_the_reason_crosses_the_sandbox_and_defaults_to_the_code() -> None:
    sent = Rejection(RejectCode.UNREADABLE, "rows cut", Reason.ROWS_INCOMPLETE)
    received = pickle.loads(pickle.dumps(sent))
    assert (received.code, received.reason, received.message) == (
        RejectCode.UNREADABLE,
        "rows_incomplete",
        "rows cut",
    )
    assert Rejection(RejectCode.EMPTY_FILE, "empty").reason == "empty_file"
