"""TIFF, BMP, WebP and HEIC/HEIF beside PNG and JPEG: real files written by Pillow, each decoded
to the pixels it holds; hostile variants (bombs, truncations, noise) refused with stable codes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image
from support import hostile

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import open_document, sniff
from mtecg.ingest.image import MAX_TIFF_PAGES

RGB = hostile.ecg_like_rgb(400, 300)
PAGE = Image.fromarray(RGB)

#: (name, bytes, kind, mean absolute error allowed: 0 for lossless codings).
ENCODED: list[tuple[str, Callable[[], bytes], str, float]] = [
    ("tiff-raw", lambda: hostile.image_bytes(PAGE, "TIFF"), "tiff", 0),
    ("tiff-lzw", lambda: hostile.image_bytes(PAGE, "TIFF", compression="tiff_lzw"), "tiff", 0),
    (
        "tiff-deflate",
        lambda: hostile.image_bytes(PAGE, "TIFF", compression="tiff_adobe_deflate"),
        "tiff",
        0,
    ),
    (
        "tiff-jpeg",
        lambda: hostile.image_bytes(PAGE, "TIFF", compression="jpeg", quality=95),
        "tiff",
        4,
    ),
    ("tiff-big-endian", lambda: hostile.image_bytes(PAGE, "TIFF", big_endian=True), "tiff", 0),
    ("bmp", lambda: hostile.image_bytes(PAGE, "BMP"), "bmp", 0),
    (
        "bmp-palette",
        lambda: hostile.image_bytes(
            PAGE.convert("P", palette=Image.Palette.ADAPTIVE, colors=8), "BMP"
        ),
        "bmp",
        0,
    ),
    ("webp-lossless", lambda: hostile.image_bytes(PAGE, "WEBP", lossless=True), "webp", 0),
    ("webp-lossy", lambda: hostile.image_bytes(PAGE, "WEBP", quality=95), "webp", 8),
    ("heif", lambda: hostile.image_bytes(PAGE, "HEIF", quality=95), "heif", 8),
]


def _code(data: bytes) -> RejectCode:
    with pytest.raises(Rejection) as caught:
        open_document(data)
    return caught.value.code


@pytest.mark.parametrize(
    ("make", "kind", "error"), [e[1:] for e in ENCODED], ids=[e[0] for e in ENCODED]
)
def test_each_format_is_sniffed_and_decoded_to_its_pixels(
    make: Callable[[], bytes], kind: str, error: float
) -> None:
    data = make()
    assert sniff(data) == kind
    source = open_document(data)
    assert (source.kind, source.width, source.height, source.native_dpi) == (kind, 400, 300, None)
    out = source.render()
    assert out.dtype == np.uint8 and out.shape == (300, 400, 3)
    assert np.abs(out.astype(int) - RGB).mean() <= error


def test_group4_bilevel_tiff_keeps_the_trace() -> None:
    # Fax and document scanners write 1-bit Group 4: the trace (black) survives, the pale grid
    # falls to white at the 50 % threshold, which is what such a scan holds.
    data = hostile.image_bytes(
        PAGE.convert("L").point(lambda v: 255 if v > 128 else 0).convert("1"),
        "TIFF",
        compression="group4",
    )
    out = open_document(data).render()
    trace = RGB.min(axis=2) == 0
    assert (out[trace] == 0).all()
    assert (out[~trace] == 255).all()


def test_a_multi_page_tiff_yields_its_first_page() -> None:
    second = Image.fromarray(np.zeros((200, 100, 3), dtype=np.uint8))
    source = open_document(hostile.tiff_pages(PAGE, second, compression="tiff_lzw"))
    assert (source.width, source.height) == (400, 300)
    assert np.array_equal(source.render(), RGB)


def test_a_thumbnail_stored_first_is_skipped() -> None:
    data = hostile.tiff_pages(PAGE.resize((40, 30)), PAGE, reduced=frozenset({0}))
    source = open_document(data)
    assert (source.width, source.height) == (400, 300)
    assert np.array_equal(source.render(), RGB)


def test_a_tiff_of_only_thumbnails_is_corrupt() -> None:
    # Also when there are more of them than are looked at (a file of many IFDs is not walked).
    for count in (1, MAX_TIFF_PAGES + 1):
        pages = [PAGE.resize((40, 30))] * count
        data = hostile.tiff_pages(*pages, reduced=frozenset(range(count)))
        assert _code(data) is RejectCode.CORRUPT_FILE


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF", "WEBP", "HEIF"])
@pytest.mark.parametrize(("orientation", "corner"), [(3, (-1, -1)), (6, (0, -1)), (8, (-1, 0))])
def test_exif_orientation_is_honoured(fmt: str, orientation: int, corner: tuple[int, int]) -> None:
    # Stored 60 x 40 with red top-left; a phone holding the camera sideways tags 6 or 8.
    pixels = np.full((40, 60, 3), 255, dtype=np.uint8)
    pixels[:10, :10] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    source = open_document(hostile.image_bytes(pixels, fmt, exif=exif.tobytes(), quality=95))
    rotated = orientation in (6, 8)
    assert (source.width, source.height) == ((40, 60) if rotated else (60, 40))
    red = source.render().astype(int)[corner]
    assert red[0] > 180 and red[1] < 90 and red[2] < 90, red


@pytest.mark.parametrize(
    ("make", "kind", "error"), [e[1:] for e in ENCODED], ids=[e[0] for e in ENCODED]
)
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_files_are_corrupt(
    make: Callable[[], bytes], kind: str, error: float, keep: float
) -> None:
    assert _code(hostile.truncated(make(), keep)) is RejectCode.CORRUPT_FILE


@pytest.mark.parametrize(
    "make",
    [
        hostile.tiff_header_bomb,
        lambda: hostile.tiff_header_bomb(7000, 7000),
        lambda: hostile.tiff_header_bomb(1, 30_000),
        hostile.tiff_g4_bomb,
        hostile.bmp_header_bomb,
        lambda: hostile.bmp_header_bomb(7000, -7000),  # a top-down BMP: negative height
    ],
    ids=["tiff-100k", "tiff-7000", "tiff-strip", "tiff-g4", "bmp-50k", "bmp-top-down"],
)
def test_pixel_bombs_are_refused_from_the_header(make: Callable[[], bytes]) -> None:
    assert _code(make()) is RejectCode.IMAGE_TOO_LARGE


@pytest.mark.parametrize(
    "magic",
    [
        b"II*\x00",
        b"MM\x00*",
        b"RIFF\x00\x10\x00\x00WEBPVP8 ",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
    ],
    ids=["tiff-le", "tiff-be", "webp", "heic"],
)
@pytest.mark.parametrize("seed", range(3))
def test_a_signature_followed_by_noise_is_corrupt(magic: bytes, seed: int) -> None:
    assert _code(hostile.magic_then_noise(magic, seed)) is RejectCode.CORRUPT_FILE


@pytest.mark.parametrize(
    "data",
    [
        b"BM" + b"\x00" * 64,  # "BM" without a DIB header is not a bitmap
        b"BMP files are ...\n",
        b"RIFF\x10\x00\x00\x00WAVEfmt ",  # a RIFF that is audio
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",  # AVIF shares HEIF's box
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42",  # a video
        b"II+\x00\x08\x00\x00\x00",  # BigTIFF
    ],
    ids=["bm-zeros", "bm-text", "riff-wave", "avif", "mp4", "bigtiff"],
)
def test_look_alikes_are_unsupported(data: bytes) -> None:
    with pytest.raises(Rejection) as caught:
        sniff(data)
    assert caught.value.code is RejectCode.UNSUPPORTED_TYPE


def test_a_tiff_carrying_a_pdf_header_is_a_polyglot() -> None:
    data = hostile.image_bytes(PAGE, "TIFF", description="%PDF-1.7 " * 4)
    with pytest.raises(Rejection) as caught:
        sniff(data)
    assert caught.value.code is RejectCode.UNSUPPORTED_TYPE
