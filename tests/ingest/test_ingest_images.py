"""PNG/JPEG decoding: pixel bombs refused from the header, any mode to RGB, EXIF honoured."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest
from support import hostile

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import IngestLimits, PageSource, open_document


def _code(data: bytes, limits: IngestLimits | None = None) -> RejectCode:
    with pytest.raises(Rejection) as caught:
        open_document(data, limits or IngestLimits())
    return caught.value.code


@pytest.mark.parametrize(
    "make",
    [
        hostile.png_header_bomb,  # 100k x 100k: above Pillow's own bomb limit too
        lambda: hostile.png_header_bomb(7000, 7000),  # 49 MP: only our cap catches it
        lambda: hostile.png_header_bomb(1, 30_000),  # a strip: the side cap
        hostile.jpeg_header_bomb,  # 65k x 65k
        lambda: hostile.jpeg_header_bomb(8000, 6000),
        hostile.png_bomb,  # complete 20k x 20k data, 49 KB on disk
    ],
    ids=["png-100k", "png-7000", "png-strip", "jpeg-65k", "jpeg-8000", "png-bomb"],
)
def test_pixel_bombs_are_refused_from_the_header_in_under_200_ms(make: Callable[[], bytes]) -> None:
    data = make()
    durations = []
    for _ in range(3):
        start = time.perf_counter()
        assert _code(data) is RejectCode.IMAGE_TOO_LARGE
        durations.append(time.perf_counter() - start)
    assert min(durations) < 0.2


@pytest.mark.parametrize(("width", "height"), [(12_000, 12_000), (100_000, 100_000)])
def test_pillows_own_bomb_guard_is_a_rejection_too(width: int, height: int) -> None:
    # With our caps lifted, Pillow's guard (a warning above 89 MP, an error above 179 MP)
    # must still end as IMAGE_TOO_LARGE rather than a warning or a crash.
    lifted = IngestLimits(max_pixels=10**12, max_side=10**7)
    assert _code(hostile.png_header_bomb(width, height), lifted) is RejectCode.IMAGE_TOO_LARGE


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_images_are_corrupt(fmt: str, keep: float) -> None:
    data = hostile.image_bytes(hostile.ecg_like_rgb(), fmt)
    assert _code(hostile.truncated(data, keep)) is RejectCode.CORRUPT_FILE


@pytest.mark.parametrize("magic", [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"])
@pytest.mark.parametrize("seed", range(5))
def test_a_signature_followed_by_noise_is_corrupt(magic: bytes, seed: int) -> None:
    assert _code(hostile.magic_then_noise(magic, seed)) is RejectCode.CORRUPT_FILE


def test_a_valid_png_opens_as_rgb_at_its_own_size() -> None:
    pixels = hostile.ecg_like_rgb(400, 300)
    source = open_document(hostile.image_bytes(pixels))
    assert isinstance(source, PageSource)
    assert (source.kind, source.page_index, source.width, source.height) == ("png", 0, 400, 300)
    assert source.native_dpi is None
    assert source.text() == "" and source.words() == []
    out = source.render()
    assert out.dtype == np.uint8 and out.shape == (300, 400, 3)
    assert np.array_equal(out, pixels)


def test_embedded_dpi_is_ignored() -> None:
    source = open_document(hostile.image_bytes(hostile.ecg_like_rgb(), "JPEG", dpi=(600, 600)))
    assert source.native_dpi is None


@pytest.mark.parametrize(
    ("orientation", "corner"),
    [(1, (0, 0)), (3, (-1, -1)), (6, (0, -1)), (8, (-1, 0))],
)
def test_exif_orientation_is_applied(orientation: int, corner: tuple[int, int]) -> None:
    # Stored 60 x 40 with red top-left; orientation 6 means "rotate 90 degrees clockwise".
    source = open_document(hostile.exif_rotated_jpeg(orientation))
    rotated = orientation in (6, 8)
    assert (source.width, source.height) == ((40, 60) if rotated else (60, 40))
    out = source.render().astype(int)
    y, x = corner
    red = out[y, x]
    assert red[0] > 200 and red[1] < 80 and red[2] < 80, red
    assert out[out.shape[0] // 2, out.shape[1] // 2].min() > 200  # the rest stays white


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_transparency_is_composited_on_white(mode: str) -> None:
    out = open_document(hostile.png_mode(mode)).render()
    assert out.shape == (48, 64, 3)
    assert (out[:, :32] == 255).all()  # transparent black -> white paper
    assert out[:, 32:].min() < 100  # the opaque half keeps its trace


def test_palette_with_a_transparent_entry() -> None:
    out = open_document(hostile.png_mode("PT")).render()
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    assert (out == 255).all(axis=2).any()


def test_sixteen_bit_gray_is_scaled_not_clipped() -> None:
    out = open_document(hostile.png_mode("I;16")).render()
    gray = out[..., 0].astype(int).ravel()
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    assert gray[0] == 0 and gray[-1] == 255
    assert (np.diff(gray) >= 0).all()  # a ramp, not a step to 255 at the first 256 values
    assert 100 < gray[len(gray) // 2] < 155


@pytest.mark.parametrize("mode", ["L", "1", "P"])
def test_other_modes_become_rgb(mode: str) -> None:
    out = open_document(hostile.png_mode(mode)).render()
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    assert out.min() < 100 and out.max() > 200


def test_cmyk_jpeg_becomes_rgb() -> None:
    out = open_document(hostile.cmyk_jpeg()).render().astype(int)
    expected = hostile.ecg_like_rgb(64, 48).astype(int)
    assert out.shape == expected.shape
    assert np.abs(out - expected).mean() < 20


def test_render_clip_and_scale() -> None:
    pixels = hostile.ecg_like_rgb(400, 300)
    source = open_document(hostile.image_bytes(pixels))
    assert np.array_equal(source.render(1.0, (10, 20, 110, 70)), pixels[20:70, 10:110])
    assert source.render(0.5).shape == (150, 200, 3)
    assert source.render(0.5, (10, 20, 110, 70)).shape == (25, 50, 3)
    assert source.render(2.0, (0, 0, 50, 40)).shape == (80, 100, 3)
    assert source.render(1.0, (-50, -50, 10_000, 10_000)).shape == (300, 400, 3)  # clamped


def test_shrinking_keeps_thin_traces() -> None:
    # INTER_AREA averages: a 1 px black line survives a 4x reduction as a visible grey.
    page = np.full((400, 400, 3), 255, dtype=np.uint8)
    page[201, :] = 0
    small = open_document(hostile.image_bytes(page)).render(0.25)
    assert small.min() < 220


def test_render_returns_a_private_writable_copy() -> None:
    source = open_document(hostile.image_bytes(hostile.ecg_like_rgb()))
    out = source.render()
    out[:] = 7
    assert source.render().max() == 255


def test_render_refuses_outputs_above_the_pixel_cap() -> None:
    source = open_document(hostile.image_bytes(hostile.ecg_like_rgb(400, 300)))
    with pytest.raises(Rejection) as caught:
        source.render(400.0)
    assert caught.value.code is RejectCode.IMAGE_TOO_LARGE


@pytest.mark.parametrize(
    ("scale", "clip"),
    [
        (0.0, None),
        (-1.0, None),
        (float("nan"), None),
        (1.0, (500, 500, 600, 600)),
        (1.0, (10, 10, 10, 50)),
        (1.0, (0, 0, float("inf"), 5)),
    ],
)
def test_bad_render_arguments_are_caller_errors(
    scale: float, clip: tuple[float, float, float, float] | None
) -> None:
    source = open_document(hostile.image_bytes(hostile.ecg_like_rgb(400, 300)))
    with pytest.raises(ValueError):
        source.render(scale, clip)


def test_a_png_followed_by_a_pdf_is_read_as_the_png() -> None:
    source = open_document(hostile.png_with_trailing_pdf())
    assert (source.kind, source.width, source.height) == ("png", 400, 300)
