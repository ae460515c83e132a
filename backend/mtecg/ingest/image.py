"""Decode an untrusted raster image into RGB pixels, refusing pixel bombs before decoding.

PNG, JPEG, TIFF (any compression Pillow/libtiff reads: LZW, Group 4, JPEG, Deflate, ...), BMP,
WebP and HEIC/HEIF (through `pillow_heif`). Pillow parses only the header in `Image.open`; the
size it declares is checked against the caps before `load()` allocates anything, so a
100k x 100k header costs microseconds.
"""

from __future__ import annotations

import io
import math
import warnings

import cv2
import numpy as np
import pillow_heif
from PIL import Image, ImageOps, TiffImagePlugin

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.limits import IngestLimits
from mtecg.ingest.raster import RGB, Clip, Word, clip_box, output_size

# Registers only HEIF (not AVIF); thumbnails are not decoded, the primary image is. One decode
# thread: each extra thread reserves stack and malloc arenas against the sandbox's address-space
# cap, and a worker decodes one upload at a time.
pillow_heif.register_heif_opener(thumbnails=False)
pillow_heif.options.DECODE_THREADS = 1
_PIL_FORMAT = {
    "png": "PNG",
    "jpeg": "JPEG",
    "tiff": "TIFF",
    "bmp": "BMP",
    "webp": "WEBP",
    "heif": "HEIF",
}
#: TIFF pages looked at before giving up: a scanner's multi-page TIFF holds a few pages, and
#: each page's header costs a seek, so a file of a million IFDs must not be walked.
MAX_TIFF_PAGES = 16
_NEW_SUBFILE_TYPE = 254  # the TIFF tag
#: NewSubfileType bit 0: a reduced-resolution copy (a thumbnail or preview) of another page.
_REDUCED_RESOLUTION = 1
_WHITE = (255, 255, 255)
#: The IEND chunk with its fixed CRC. Pillow decodes a PNG cut inside its last chunks without
#: complaint; a file that never reaches IEND was cut short, whatever the pixels look like.
_PNG_END = b"IEND\xaeB`\x82"
#: Modes holding one integer sample of up to 16 bits (16-bit grayscale PNG).
_WIDE_GRAY = {"I", "I;16", "I;16B", "I;16L", "I;16N"}


def _too_large() -> Rejection:
    return Rejection(RejectCode.IMAGE_TOO_LARGE, "The image has more pixels than allowed.")


def _corrupt() -> Rejection:
    return Rejection(RejectCode.CORRUPT_FILE, "The image is damaged or incomplete.")


def _check_size(width: int, height: int, limits: IngestLimits) -> None:
    """Refuse a declared size above the pixel or side cap (IMAGE_TOO_LARGE)."""
    if width < 1 or height < 1:
        raise _corrupt()
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise _too_large()


def _to_rgb(img: Image.Image) -> RGB:
    """Any Pillow mode -> H x W x 3 uint8, compositing transparency onto white paper.

    White, not black, because a transparent background on an ECG export means "paper"; on
    black the grid and trace detection would see an inverted page. The result may be a
    read-only view (renders copy), which saves a full-size copy at the pixel cap.
    """
    if img.mode in _WIDE_GRAY:
        # Pillow's convert("L") clips 16-bit samples at 255 instead of scaling them.
        gray = (np.clip(np.asarray(img), 0, 65535) >> 8).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    keyed = img.mode in ("P", "L", "1") and "transparency" in img.info  # a tRNS colour
    if keyed or img.mode in ("LA", "PA", "La", "RGBa"):
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        paper = Image.new("RGB", img.size, _WHITE)
        paper.paste(img, (0, 0), img)  # an RGBA mask means "use its alpha channel"
        img = paper
    elif img.mode != "RGB":
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.uint8)


class ImagePage:
    """A `PageSource` over a decoded image held as RGB uint8 (H x W x 3).

    Plain data (an array and a few fields), so it also pickles cheaply out of a sandbox worker.
    """

    native_dpi: float | None = None  # embedded dpi tags are unreliable; layout measures the grid
    page_index = 0

    def __init__(self, kind: str, pixels: RGB, max_pixels: int) -> None:
        self.kind = kind
        self._pixels = pixels
        self.height, self.width = int(pixels.shape[0]), int(pixels.shape[1])
        self._max_pixels = max_pixels

    def render(self, scale: float = 1.0, clip: Clip | None = None) -> RGB:
        """RGB uint8 of `clip` (native pixels, None = whole image) at `scale` x native size.

        The clip is cut first so only the wanted region is resampled: INTER_AREA when shrinking
        (it averages, so thin ECG traces do not vanish), INTER_LINEAR when enlarging.
        """
        box = clip_box(clip, self.width, self.height)
        height, width = output_size(box, scale, self._max_pixels, RejectCode.IMAGE_TOO_LARGE)
        x0, y0, x1, y1 = box
        crop = self._pixels[math.floor(y0) : math.ceil(y1), math.floor(x0) : math.ceil(x1)]
        if crop.shape[:2] == (height, width):
            return crop.copy()
        shrinking = width * height < crop.shape[0] * crop.shape[1]
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        return np.asarray(cv2.resize(crop, (width, height), interpolation=interpolation))

    def text(self) -> str:
        """Images have no text layer."""
        return ""

    def words(self) -> list[Word]:
        """Images have no text layer."""
        return []


def _first_full_page(img: TiffImagePlugin.TiffImageFile) -> None:
    """Seek a multi-page TIFF to its first page that is not a reduced-resolution copy.

    The ECG is the first page of the scans and fax TIFFs met in practice (a report or second
    page follows it); thumbnails some scanners store first are skipped. A file with no full
    page among its first `MAX_TIFF_PAGES` is CORRUPT_FILE.
    """
    for index in range(MAX_TIFF_PAGES):
        if index:
            try:
                img.seek(index)
            except EOFError:
                break
        subfile = img.tag_v2.get(_NEW_SUBFILE_TYPE, 0)
        if not int(subfile) & _REDUCED_RESOLUTION:
            return
    raise _corrupt()


def open_image(data: bytes, kind: str, limits: IngestLimits) -> ImagePage:
    """Decode image bytes (already sniffed as `kind`) into an ImagePage.

    Raises IMAGE_TOO_LARGE for headers above the caps (and Pillow's own decompression-bomb
    guard), CORRUPT_FILE for anything that does not decode completely. EXIF orientation is
    applied, so width/height are those of the upright image. A multi-page TIFF yields its
    first full-resolution page (see `_first_full_page`).
    """
    if kind == "png" and _PNG_END not in data:
        raise _corrupt()
    with warnings.catch_warnings():
        # Pillow warns (rather than raises) between 1x and 2x its own pixel limit.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[kind]])
            if isinstance(img, TiffImagePlugin.TiffImageFile):
                _first_full_page(img)
            _check_size(img.width, img.height, limits)
            img.load()
            ImageOps.exif_transpose(img, in_place=True)  # in place: no full-size copy
            pixels = _to_rgb(img)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_large() from exc
        except (Rejection, MemoryError):
            raise
        except Exception as exc:
            # Pillow reports damage as OSError, SyntaxError, ValueError, struct.error, ...;
            # whichever it is, the file cannot be decoded.
            raise _corrupt() from exc
    return ImagePage(kind, pixels, limits.max_pixels)
