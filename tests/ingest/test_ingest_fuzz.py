"""Property-based fuzzing of the upload-to-canonical-image path, seeded with the real samples.

Mutated samples (bit flips, truncations, splices, inserted garbage) go through sniffing,
decoding, rendering and layout. Every outcome must be a canonical image or a `Rejection`:
in-process for images (Pillow and NumPy fail safely), through a sandbox worker for PDFs (a
MuPDF crash must cost one request, and the next request must still work). Time-boxed here;
raise MTECG_FUZZ_EXAMPLES for a longer run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.sandbox import Sandbox
from mtecg.preprocess import Preprocessed, preprocess

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
EXAMPLES = int(os.environ.get("MTECG_FUZZ_EXAMPLES", "25"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _seeds(folder: str) -> list[bytes]:
    files = sorted((SAMPLES / folder).glob("*"))
    if not files:
        pytest.skip("../shared/samples is not beside the repository")
    return [f.read_bytes() for f in files]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "splice"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            length = draw(st.integers(1, 4096))
            data[at : at + length] = bytes(reversed(data[at : at + length]))
    return bytes(data)


IMAGE_SEEDS = _seeds("images") if SAMPLES.is_dir() else []
PDF_SEEDS = _seeds("pdf") if SAMPLES.is_dir() else []


@pytest.mark.skipif(not IMAGE_SEEDS, reason="samples absent")
@SETTINGS
@given(data=st.deferred(lambda: mutated(IMAGE_SEEDS)))
def test_mutated_images_give_an_image_or_a_reason(data: bytes) -> None:
    try:
        result = preprocess(data)
    except Rejection as rejection:
        assert rejection.code is not RejectCode.PROCESSING_FAILED
        assert rejection.message
        return
    assert isinstance(result, Preprocessed)
    assert result.layout.canonical.shape == (2100, 1402, 3)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    with Sandbox(workers=1) as pool:
        yield pool  # type: ignore[misc]


@pytest.mark.skipif(not PDF_SEEDS, reason="samples absent")
def test_mutated_pdfs_never_take_the_sandbox_down(sandbox: Sandbox) -> None:
    known_good = (SAMPLES / "pdf" / "dicomecgplot_anonymous_ecg_3x4_1.pdf").read_bytes()

    @SETTINGS
    @given(data=mutated(PDF_SEEDS))
    def run(data: bytes) -> None:
        try:
            sandbox.call(preprocess, data)
        except Rejection as rejection:
            assert rejection.message

    run()
    assert sandbox.call(preprocess, known_good).layout.profile == "auto"
