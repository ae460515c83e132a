"""Property-based fuzzing of the whole upload-to-tensor path, seeded with the real samples.

What a screening does with an upload, end to end short of the network: bytes -> sniff ->
ingest -> layout -> canonical image (in a sandbox worker, as the API runs it) -> the model's
input transform (`to_tensor` with a model package's `InputSpec`). Whatever the bytes, the
outcome must be a tensor the network can take (right shape, float32, finite, within the range
normalisation can produce) or a `Rejection` with a stable code: the same bytes refused again
give the same code, and a file sniffing refuses in-process is refused for the same reason in
the worker. Any other exception is a bug that would surface as a 500.

Two kinds of mutation: byte-level damage to the files (bit flips, truncations, splices, from
`test_ingest_fuzz.py`), which mostly exercises the decoders' refusals, and pixel-level changes
to the decoded sample images (crops, rotations, rescaling, colour modes, re-encoding as PNG or
JPEG), which get past the decoders and exercise layout, canonical composition and the
transform. `test_ingest_fuzz.py` covers ingest and layout alone; this adds the seams between
them and the tensor. Time-boxed for `make test` (a few examples after the unmutated samples); set
MTECG_FUZZ_EXAMPLES for a longer run, e.g. `MTECG_FUZZ_EXAMPLES=500 .venv/bin/pytest
tests/ingest/test_ingest_fuzz_upload.py --hypothesis-show-statistics` (which also counts the
outcomes: tensors, and rejections by code).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from PIL import Image
from test_ingest_fuzz import mutated
from tests_paths import SAMPLES

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import sniff
from mtecg.ingest.sandbox import Sandbox
from mtecg.model.input_transform import imagenet_input, to_tensor
from mtecg.preprocess import preprocess

EXAMPLES = int(os.environ.get("MTECG_FUZZ_EXAMPLES", "8"))
CI_PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,  # no timed assertions: slow is not wrong, and CI machines vary
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The published model's input (docs/domain.md §2): 384 x 384, ImageNet normalisation, 6 x 2
# canonical.
SPEC = imagenet_input(384, "linear")
SEED_FILES = sorted(path for folder in ("pdf", "images") for path in (SAMPLES / folder).glob("*"))
SEEDS = [path.read_bytes() for path in SEED_FILES]
# Codes that depend on the machine's load rather than the bytes.
TIMING_CODES = {RejectCode.PROCESSING_TIMEOUT}


# Colour modes each encoder can write: every mode the decoder must turn into RGB.
ENCODER_MODES = {
    "PNG": ("RGB", "RGBA", "L", "LA", "P", "1", "I;16"),
    "JPEG": ("RGB", "L", "CMYK"),
}


@cache
def decoded_images() -> tuple[Image.Image, ...]:
    """The sample images Pillow can decode (PNG, JPEG and BMP), decoded once."""
    images = []
    for path in SEED_FILES:
        if path.parent.name == "images":
            with Image.open(path) as image:
                images.append(image.convert("RGB"))
    return tuple(images)


@st.composite
def reencoded(draw: st.DrawFn) -> bytes:
    """A sample image cropped, rotated, rescaled, converted and re-encoded as PNG or JPEG."""
    image = draw(st.sampled_from(decoded_images()))
    width, height = image.size
    left, top = draw(st.integers(0, width // 4)), draw(st.integers(0, height // 4))
    right, bottom = (
        width - draw(st.integers(0, width // 4)),
        height - draw(st.integers(0, height // 4)),
    )
    image = image.crop((left, top, right, bottom))
    angle = draw(st.sampled_from([0.0, 0.0, 3.0, -7.5, 90.0, 180.0]))
    if angle:
        image = image.rotate(angle, expand=True, fillcolor="white")
    scale = draw(st.sampled_from([1.0, 1.0, 0.6, 1.3]))
    if scale != 1.0:
        image = image.resize(
            (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        )
    encoder = draw(st.sampled_from(sorted(ENCODER_MODES)))
    mode = draw(st.sampled_from(ENCODER_MODES[encoder]))
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, format=encoder, quality=draw(st.integers(5, 95)))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=1) as pool:
        yield pool


def upload_to_tensor(sandbox: Sandbox, data: bytes) -> torch.Tensor:
    """The screening path up to the network: a tensor, or a Rejection."""
    preprocessed = sandbox.call(preprocess, data, SPEC.profiles[0])
    canonical = preprocessed.layout.canonical
    assert canonical.shape == (*SPEC.canonical_shape, 3)
    return to_tensor(canonical, SPEC)


def assert_model_ready(tensor: torch.Tensor) -> None:
    """What the network needs: [3, H, W] float32, finite, inside normalisation's range."""
    assert tensor.shape == (3, SPEC.height, SPEC.width)
    assert tensor.dtype == torch.float32
    assert bool(torch.isfinite(tensor).all())
    mean, std = np.array(SPEC.mean), np.array(SPEC.std)
    low = torch.tensor(-mean / std, dtype=torch.float32).view(3, 1, 1)
    high = torch.tensor((1 - mean) / std, dtype=torch.float32).view(3, 1, 1)
    assert bool(((tensor >= low - 1e-5) & (tensor <= high + 1e-5)).all())


def sniffed_code(data: bytes) -> RejectCode | None:
    """The code sniffing refuses `data` with in-process (where the API could), or None."""
    try:
        sniff(data)
    except Rejection as rejection:
        return rejection.code
    return None


def assert_stable_rejection(sandbox: Sandbox, data: bytes, rejection: Rejection) -> None:
    """A refusal names a public code and a message, and the same bytes get the same code."""
    assert isinstance(rejection.code, RejectCode)
    assert rejection.message
    if rejection.code in TIMING_CODES:
        return
    expected = sniffed_code(data)
    assert expected is None or rejection.code is expected
    with pytest.raises(Rejection) as again:
        upload_to_tensor(sandbox, data)
    assert again.value.code in {rejection.code, *TIMING_CODES}


def with_seed_examples(test: Callable[..., Any]) -> Callable[..., Any]:
    """Each real sample, unmutated, is an explicit example run before the generated ones."""
    for seed in SEEDS:
        test = example(data=seed)(test)
    return test


@pytest.mark.skipif(not SEEDS, reason="../shared/samples is not beside the repository")
@CI_PROFILE
@with_seed_examples
@given(data=st.deferred(lambda: st.one_of(mutated(SEEDS), reencoded())))
def test_any_upload_ends_as_a_model_ready_tensor_or_a_stable_rejection(
    sandbox: Sandbox, data: bytes
) -> None:
    try:
        tensor = upload_to_tensor(sandbox, data)
    except Rejection as rejection:
        event(f"rejected: {rejection.code.value}")  # --hypothesis-show-statistics
        assert_stable_rejection(sandbox, data, rejection)
        return
    event("tensor")
    assert sniffed_code(data) is None
    assert_model_ready(tensor)
