"""Generators of hostile and broken uploads, built in memory (nothing is downloaded or stored).

Reusable by any suite: `CASES` lists every generator with the rejection `open_document` must
give with default limits (None: the file must open). `corpus(n, seed)` turns them into n
files, varying the random and truncated ones with the seed, for reliability and fuzz runs.

PDFs are written by hand (`PdfWriter`) so a test controls every object: MuPDF's own writer
would repair or normalise the very structures under test.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pillow_heif
import pymupdf
from PIL import Image, TiffImagePlugin

from mtecg.errors import RejectCode
from support import philips_xml as philips
from support import waveform_files as wf

# A little ECG-like drawing: a red 5 mm grid square and a black trace.
DRAWING = (
    b"1 0 0 RG 0.5 w 50 400 m 300 400 l S 50 414 m 300 414 l S "
    b"0 0 0 RG 1 w 50 300 m 80 300 l 90 360 l 100 260 l 110 300 l 300 300 l S"
)
TEXT = b"BT /F1 12 Tf 72 720 Td (25 mm/s 10 mm/mV) Tj ET"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
A4_PT = (595.0, 842.0)


# -- PDF ---------------------------------------------------------------------------------------


class PdfWriter:
    """Numbered objects in, a classic-xref PDF out. Object 1 is the catalog, 2 the page tree."""

    def __init__(self) -> None:
        self.objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
        self.pages: list[int] = []

    def add(self, body: bytes) -> int:
        """Append an object; returns its number."""
        self.objects.append(body)
        return len(self.objects)

    def stream(self, data: bytes, extra: bytes = b"", deflate: bool = False) -> int:
        """Append a stream object; returns its number."""
        if deflate:
            data = zlib.compress(data, 9)
            extra += b" /Filter /FlateDecode"
        return self.add(b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), extra, data))

    def page(
        self,
        content: bytes,
        resources: bytes | None = b"<< /Font << /F1 %FONT >> >>",
        size_pt: tuple[float, float] = A4_PT,
    ) -> int:
        """Append a page drawing `content` (%FONT in `resources` becomes a Helvetica ref)."""
        contents = self.stream(content)
        body = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R" % (
            *size_pt,
            contents,
        )
        if resources is not None:
            if b"%FONT" in resources:
                resources = resources.replace(b"%FONT", b"%d 0 R" % self.add(FONT))
            body += b" /Resources " + resources
        self.pages.append(self.add(body + b" >>"))
        return self.pages[-1]

    def tobytes(self, pages_extra: bytes = b"") -> bytes:
        """The file: header, objects, xref table, trailer, %%EOF."""
        kids = b" ".join(b"%d 0 R" % p for p in self.pages)
        self.objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d%s >>" % (
            kids,
            len(self.pages),
            pages_extra,
        )
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(self.objects) + 1,
            xref,
        )
        return bytes(out)


def ecg_pdf(pages: int = 1, first: str = "ecg", size_mm: tuple[float, float] = (210, 297)) -> bytes:
    """A small valid PDF. `first` is "ecg" (drawing + text), "text" (text only) or "blank"."""
    pdf = PdfWriter()
    size = (size_mm[0] / 25.4 * 72, size_mm[1] / 25.4 * 72)
    for index in range(pages):
        kind = first if index == 0 else "ecg"
        content = {"ecg": DRAWING + b" " + TEXT, "text": TEXT, "blank": b""}[kind]
        pdf.page(content, size_pt=size)
    return pdf.tobytes()


def pdf_at_offset(offset: int) -> bytes:
    """A PDF preceded by `offset` bytes of junk (printers prepend job headers)."""
    return b"\x1b%-12345X@PJL JOB\n".ljust(offset, b" ") + ecg_pdf()


def many_objects_pdf(count: int) -> bytes:
    """A one-page PDF carrying `count` extra (unused) objects."""
    pdf = PdfWriter()
    pdf.page(DRAWING)
    pdf.objects.extend([b"<< >>"] * count)
    return pdf.tobytes()


#: A page-sized form XObject's dictionary entries.
FORM = b" /Type /XObject /Subtype /Form /BBox [0 0 600 850]"


def _form_drawing(pdf: PdfWriter, content: bytes, form: int) -> int:
    """A form whose `content` draws object `form` (named /X): a form, or the form itself."""
    return pdf.stream(content, FORM + b" /Resources << /XObject << /X %d 0 R >> >>" % form)


def _drawing_page(pdf: PdfWriter, form: int) -> None:
    """A page that draws object `form` (named /X)."""
    pdf.page(b"/X Do", b"<< /XObject << /X %d 0 R >> >>" % form)


def _form_chain(pdf: PdfWriter, depth: int, content: bytes) -> int:
    """`depth` forms, each drawing the next with `content`; the last draws the ECG."""
    child = pdf.stream(DRAWING, FORM)
    for _ in range(depth - 1):
        child = _form_drawing(pdf, content, child)
    return child


def nested_forms_pdf(depth: int) -> bytes:
    """A page drawing a form that draws a form ... `depth` forms deep."""
    pdf = PdfWriter()
    _drawing_page(pdf, _form_chain(pdf, depth, b"q /X Do Q"))
    return pdf.tobytes()


def _fanout_form(pdf: PdfWriter, depth: int, fanout: int) -> int:
    """A form expanding to fanout**depth drawings (the PDF "billion laughs")."""
    return _form_chain(pdf, depth, b"/X Do " * fanout)


def form_fanout_pdf(depth: int = 7, fanout: int = 10) -> bytes:
    """A page whose few forms expand to fanout**depth drawings."""
    pdf = PdfWriter()
    _drawing_page(pdf, _fanout_form(pdf, depth, fanout))
    return pdf.tobytes()


def inherited_fanout_pdf() -> bytes:
    """The fan-out bomb in Resources inherited from the page tree, not on the page itself."""
    pdf = PdfWriter()
    bomb = _fanout_form(pdf, 7, 10)
    pdf.page(b"/X Do", resources=None)
    return pdf.tobytes(pages_extra=b" /Resources << /XObject << /X %d 0 R >> >>" % bomb)


def escaped_name_fanout_pdf() -> bytes:
    """The bomb's resource key written with a #xx escape (/#58 is /X) to dodge name matching."""
    pdf = PdfWriter()
    bomb = _fanout_form(pdf, 7, 10)
    pdf.page(b"/X Do", b"<< /XObject << /#58 %d 0 R >> >>" % bomb)
    return pdf.tobytes()


def pattern_fanout_pdf() -> bytes:
    """A tiling pattern whose cell draws the fan-out bomb."""
    pdf = PdfWriter()
    bomb = _fanout_form(pdf, 7, 10)
    pattern = pdf.stream(
        b"/X Do",
        b" /Type /Pattern /PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 20 20]"
        b" /XStep 20 /YStep 20 /Resources << /XObject << /X %d 0 R >> >>" % bomb,
    )
    pdf.page(
        b"/Pattern cs /P1 scn 0 0 500 500 re f",
        b"<< /Pattern << /P1 %d 0 R >> >>" % pattern,
    )
    return pdf.tobytes()


def type3_fanout_pdf() -> bytes:
    """A Type 3 font whose glyph procedure draws the fan-out bomb."""
    pdf = PdfWriter()
    bomb = _fanout_form(pdf, 7, 10)
    glyph = pdf.stream(b"1000 0 d0 /X Do")
    font = pdf.add(
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 1000 1000]"
        b" /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /a %d 0 R >>"
        b" /Encoding << /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [1000]"
        b" /Resources << /XObject << /X %d 0 R >> >> >>" % (glyph, bomb)
    )
    pdf.page(b"BT /T3 12 Tf 72 720 Td (a) Tj ET", b"<< /Font << /T3 %d 0 R >> >>" % font)
    return pdf.tobytes()


def self_drawing_form_pdf() -> bytes:
    """A form whose resources name itself (a cycle)."""
    pdf = PdfWriter()
    own = len(pdf.objects) + 1  # the number the form is about to get
    _drawing_page(pdf, _form_drawing(pdf, b"/X Do", own))
    return pdf.tobytes()


def q_nesting_pdf(depth: int) -> bytes:
    """A page saving the graphics state `depth` times before drawing."""
    pdf = PdfWriter()
    pdf.page(b"q " * depth + DRAWING + b" Q" * depth)
    return pdf.tobytes()


def nested_arrays_pdf(depth: int) -> bytes:
    """A page whose content is one operand nested `depth` arrays deep."""
    pdf = PdfWriter()
    pdf.page(b"[" * depth + b"]" * depth + b" pop " + DRAWING)
    return pdf.tobytes()


def flate_bomb_pdf(inflated: int) -> bytes:
    """A page whose content stream is a few KB deflated and `inflated` bytes inflated."""
    pdf = PdfWriter()
    deflate = zlib.compressobj(9)
    chunk = b" " * 2**20
    body = b"".join(deflate.compress(chunk) for _ in range(inflated // len(chunk)))
    body += deflate.compress(DRAWING) + deflate.flush()
    contents = pdf.add(
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(body), body)
    )
    pdf.pages.append(
        pdf.add(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>" % contents
        )
    )
    return pdf.tobytes()


def huge_image_pdf(width: int = 100_000, height: int = 100_000) -> bytes:
    """A page drawing an image XObject that declares width x height pixels (data: a few bytes)."""
    pdf = PdfWriter()
    image = pdf.stream(
        b"\x00" * 16,
        b" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8" % (width, height),
        deflate=True,
    )
    pdf.page(b"q 500 0 0 700 50 50 cm /Im1 Do Q", b"<< /XObject << /Im1 %d 0 R >> >>" % image)
    return pdf.tobytes()


def zero_page_pdf() -> bytes:
    """A structurally valid PDF with an empty page tree."""
    return PdfWriter().tobytes()


def encrypted_pdf(user_password: bool = True) -> bytes:
    """AES-256 encrypted: with a user password (cannot be opened) or owner-only (can)."""
    doc = pymupdf.open(stream=ecg_pdf(), filetype="pdf")
    return bytes(
        doc.tobytes(
            encryption=pymupdf.PDF_ENCRYPT_AES_256,
            owner_pw="owner",
            user_pw="user" if user_password else "",
        )
    )


def truncated(data: bytes, keep: float) -> bytes:
    """The first `keep` fraction of `data` (a transfer cut short)."""
    return data[: max(1, int(len(data) * keep))]


# -- images ------------------------------------------------------------------------------------

pillow_heif.register_heif_opener()  # lets `image_bytes` write HEIF as a phone would


def image_bytes(pixels: np.ndarray | Image.Image, fmt: str = "PNG", **save: object) -> bytes:
    """Encode an array or Pillow image with Pillow."""
    img = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def ecg_like_rgb(width: int = 400, height: int = 300) -> np.ndarray:
    """White paper, pink grid every 10 px, a black trace: small but ECG-shaped."""
    page = np.full((height, width, 3), 255, dtype=np.uint8)
    page[::10, :] = (240, 160, 160)
    page[:, ::10] = (240, 160, 160)
    ys = (height / 2 + 20 * np.sin(np.arange(width) / 7)).astype(int)
    page[ys, np.arange(width)] = 0
    return page


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid-looking PNG whose IHDR declares width x height RGB (the data is tiny)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _png_chunk(b"IEND", b"")
    )


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A genuine decompression bomb: complete 1-bit data, ~60 KB deflated, width x height px."""
    deflate = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_header_bomb(width: int = 65_000, height: int = 65_000) -> bytes:
    """A small real JPEG with its frame header (SOF0) patched to declare width x height."""
    data = bytearray(image_bytes(ecg_like_rgb(64, 64), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def exif_rotated_jpeg(orientation: int = 6) -> bytes:
    """A 60 x 40 JPEG, red in its stored top-left corner, tagged with an EXIF orientation."""
    pixels = np.full((40, 60, 3), 255, dtype=np.uint8)
    pixels[:10, :10] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return image_bytes(pixels, "JPEG", exif=exif.tobytes(), quality=95)


def png_mode(mode: str) -> bytes:
    """A 64 x 48 PNG in the given Pillow mode ("RGBA", "LA", "P", "PT", "L", "I;16", "1")."""
    rgb = ecg_like_rgb(64, 48)
    if mode in ("RGBA", "LA"):
        rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, dtype=np.uint8)])
        rgba[:, :32, 3] = 0  # left half transparent, with black colour under it
        rgba[:, :32, :3] = 0
        img = Image.fromarray(rgba, "RGBA")
        return image_bytes(img if mode == "RGBA" else img.convert("LA"))
    if mode == "PT":  # palette with a transparent entry
        img = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
        return image_bytes(img, transparency=0)
    if mode == "I;16":
        gray = np.linspace(0, 65535, 64 * 48).astype(np.uint16).reshape(48, 64)
        return image_bytes(Image.fromarray(gray))
    return image_bytes(Image.fromarray(rgb).convert(mode))


def cmyk_jpeg() -> bytes:
    """A CMYK JPEG (print workflows produce them)."""
    return image_bytes(Image.fromarray(ecg_like_rgb(64, 48)).convert("CMYK"), "JPEG")


def other_format(fmt: str, **save: object) -> bytes:
    """A valid 64 x 48 image in another Pillow format ("GIF" is refused; "BMP", "TIFF", ...)."""
    return image_bytes(ecg_like_rgb(64, 48), fmt, **save)


def tiff_pages(*pages: Image.Image, reduced: frozenset[int] = frozenset(), **save: object) -> bytes:
    """A multi-page TIFF of `pages` in order; those in `reduced` are tagged as thumbnails
    (NewSubfileType 1, as scanners tag a preview)."""
    buffer = io.BytesIO()
    with TiffImagePlugin.AppendingTiffWriter(buffer, new=True) as tiff:
        for index, page in enumerate(pages):
            page.save(tiff, format="TIFF", tiffinfo={254: int(index in reduced)}, **save)
            tiff.newFrame()
    return buffer.getvalue()


def tiff_header_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A small uncompressed TIFF whose ImageWidth/ImageLength tags declare width x height."""
    data = bytearray(image_bytes(ecg_like_rgb(64, 48), "TIFF"))
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * i
        (tag,) = struct.unpack_from("<H", data, entry)
        if tag in (256, 257):  # ImageWidth, ImageLength
            value = width if tag == 256 else height
            struct.pack_into("<HHII", data, entry, tag, 4, 1, value)  # as a LONG
    return bytes(data)


def tiff_g4_bomb(width: int = 8_000, height: int = 6_000) -> bytes:
    """A genuine bomb: a blank 1-bit page in Group 4, a few KB for 48 MP (above the cap)."""
    return image_bytes(Image.new("1", (width, height), 1), "TIFF", compression="group4")


def bmp_header_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A small BMP whose BITMAPINFOHEADER declares width x height."""
    data = bytearray(image_bytes(ecg_like_rgb(64, 48), "BMP"))
    struct.pack_into("<ii", data, 18, width, height)
    return bytes(data)


def zip_of_pdf() -> bytes:
    """A ZIP archive holding a PDF (the PDF's magic is beyond a header the sniffer reads)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("a" * 1100 + ".txt", b"padding")
        archive.writestr("ecg.pdf", ecg_pdf())
    return buffer.getvalue()


def png_with_pdf_magic() -> bytes:
    """A polyglot: a valid PNG carrying a whole PDF in a text chunk right after IHDR."""
    png = image_bytes(ecg_like_rgb(64, 48))
    text = _png_chunk(b"tEXt", b"Comment\x00" + ecg_pdf())
    return png[:33] + text + png[33:]


def png_with_trailing_pdf() -> bytes:
    """A valid PNG (over 1 KiB) followed by a PDF: viewers show the PNG, and so do we."""
    return image_bytes(ecg_like_rgb()) + ecg_pdf()


def random_bytes(seed: int = 0, size: int = 4096) -> bytes:
    """Noise (it cannot carry a magic number at offset 0 by chance with these seeds' tests)."""
    return random.Random(seed).randbytes(size)


def magic_then_noise(magic: bytes, seed: int = 0, size: int = 4096) -> bytes:
    """A correct magic number followed by noise: the parser, not the sniffer, must refuse it."""
    return magic + random.Random(seed).randbytes(size)


# -- the catalogue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A generated upload and what `open_document` must say about it with default limits."""

    name: str
    make: Callable[[int], bytes]  # seed -> bytes
    expect: RejectCode | None  # None: it must open


def _fixed(fn: Callable[[], bytes]) -> Callable[[int], bytes]:
    return lambda _seed: fn()


def _waveform_kept(seed: int) -> float:
    """How much of a waveform file a truncated case keeps: 20 % to 89 %, by the seed."""
    return 0.2 + seed % 70 / 100


def _cut(fn: Callable[[], bytes]) -> Callable[[int], bytes]:
    """`fn`'s file cut short after `_waveform_kept(seed)` of it."""
    return lambda seed: truncated(fn(), _waveform_kept(seed))


CASES: tuple[Case, ...] = (
    Case("empty", _fixed(lambda: b""), RejectCode.EMPTY_FILE),
    Case(
        "oversize",
        _fixed(lambda: b"%PDF-1.7\n" + b"0" * (20 * 2**20)),
        RejectCode.FILE_TOO_LARGE,
    ),
    Case(
        "random",
        lambda s: random_bytes(s, 1 + s * 37 % 9000),
        RejectCode.UNSUPPORTED_TYPE,
    ),
    Case("text", _fixed(lambda: b"patient,hr\n1,60\n"), RejectCode.UNSUPPORTED_TYPE),
    Case("gif", _fixed(lambda: other_format("GIF")), RejectCode.UNSUPPORTED_TYPE),
    Case("bmp", _fixed(lambda: other_format("BMP")), None),
    Case("tiff", _fixed(lambda: other_format("TIFF", compression="tiff_lzw")), None),
    Case("webp", _fixed(lambda: other_format("WEBP")), None),
    Case("heif", _fixed(lambda: other_format("HEIF")), None),
    Case("tiff-header-bomb", _fixed(tiff_header_bomb), RejectCode.IMAGE_TOO_LARGE),
    Case("tiff-g4-bomb", _fixed(tiff_g4_bomb), RejectCode.IMAGE_TOO_LARGE),
    Case("bmp-header-bomb", _fixed(bmp_header_bomb), RejectCode.IMAGE_TOO_LARGE),
    Case(
        "tiff-truncated",
        lambda s: truncated(other_format("TIFF", compression="tiff_lzw"), 0.2 + s % 7 / 10),
        RejectCode.CORRUPT_FILE,
    ),
    Case(
        "bmp-truncated",
        lambda s: truncated(other_format("BMP"), 0.2 + s % 7 / 10),
        RejectCode.CORRUPT_FILE,
    ),
    Case(
        "tiff-noise",
        lambda s: magic_then_noise(b"II*\x00", s),
        RejectCode.CORRUPT_FILE,
    ),
    Case("zip", _fixed(zip_of_pdf), RejectCode.UNSUPPORTED_TYPE),
    Case("pdf-at-2000", _fixed(lambda: pdf_at_offset(2000)), RejectCode.UNSUPPORTED_TYPE),
    Case("png-pdf-polyglot", _fixed(png_with_pdf_magic), RejectCode.UNSUPPORTED_TYPE),
    Case("png-trailing-pdf", _fixed(png_with_trailing_pdf), None),
    Case(
        "png-noise",
        lambda s: magic_then_noise(b"\x89PNG\r\n\x1a\n", s),
        RejectCode.CORRUPT_FILE,
    ),
    Case(
        "jpeg-noise",
        lambda s: magic_then_noise(b"\xff\xd8\xff", s),
        RejectCode.CORRUPT_FILE,
    ),
    Case(
        "pdf-noise",
        lambda s: magic_then_noise(b"%PDF-1.7\n", s),
        RejectCode.CORRUPT_FILE,
    ),
    Case("png-header-bomb", _fixed(png_header_bomb), RejectCode.IMAGE_TOO_LARGE),
    Case(
        "png-header-7000",
        _fixed(lambda: png_header_bomb(7000, 7000)),
        RejectCode.IMAGE_TOO_LARGE,
    ),
    Case("png-bomb", _fixed(png_bomb), RejectCode.IMAGE_TOO_LARGE),
    Case("jpeg-header-bomb", _fixed(jpeg_header_bomb), RejectCode.IMAGE_TOO_LARGE),
    Case(
        "png-truncated",
        lambda s: truncated(image_bytes(ecg_like_rgb()), 0.3 + s % 60 / 100),
        RejectCode.CORRUPT_FILE,
    ),
    Case(
        "jpeg-truncated",
        lambda s: truncated(image_bytes(ecg_like_rgb(), "JPEG"), 0.3 + s % 60 / 100),
        RejectCode.CORRUPT_FILE,
    ),
    Case(
        "pdf-truncated",
        lambda s: truncated(ecg_pdf(), 0.2 + s % 75 / 100),
        RejectCode.CORRUPT_FILE,
    ),
    Case("pdf-encrypted", _fixed(encrypted_pdf), RejectCode.ENCRYPTED_PDF),
    Case("pdf-owner-password-only", _fixed(lambda: encrypted_pdf(False)), None),
    Case("pdf-7-pages", _fixed(lambda: ecg_pdf(7)), RejectCode.TOO_MANY_PAGES),
    Case("pdf-zero-pages", _fixed(zero_page_pdf), RejectCode.CORRUPT_FILE),
    Case(
        "pdf-giant-page",
        _fixed(lambda: ecg_pdf(size_mm=(5000, 5000))),
        RejectCode.PAGE_TOO_LARGE,
    ),
    Case(
        "pdf-many-objects",
        _fixed(lambda: many_objects_pdf(100_001)),
        RejectCode.PDF_TOO_COMPLEX,
    ),
    Case(
        "pdf-nested-forms",
        _fixed(lambda: nested_forms_pdf(50)),
        RejectCode.PDF_TOO_COMPLEX,
    ),
    Case("pdf-form-fanout", _fixed(form_fanout_pdf), RejectCode.PDF_TOO_COMPLEX),
    Case("pdf-inherited-fanout", _fixed(inherited_fanout_pdf), RejectCode.PDF_TOO_COMPLEX),
    Case(
        "pdf-escaped-fanout",
        _fixed(escaped_name_fanout_pdf),
        RejectCode.PDF_TOO_COMPLEX,
    ),
    Case("pdf-pattern-fanout", _fixed(pattern_fanout_pdf), RejectCode.PDF_TOO_COMPLEX),
    Case("pdf-type3-fanout", _fixed(type3_fanout_pdf), RejectCode.PDF_TOO_COMPLEX),
    Case("pdf-form-cycle", _fixed(self_drawing_form_pdf), RejectCode.PDF_TOO_COMPLEX),
    Case("pdf-q-nesting", _fixed(lambda: q_nesting_pdf(5000)), RejectCode.PDF_TOO_COMPLEX),
    Case(
        "pdf-nested-arrays",
        _fixed(lambda: nested_arrays_pdf(100_000)),
        RejectCode.PDF_TOO_COMPLEX,
    ),
    Case(
        "pdf-flate-bomb",
        _fixed(lambda: flate_bomb_pdf(64 * 2**20)),
        RejectCode.PDF_TOO_COMPLEX,
    ),
    Case("pdf-huge-image", _fixed(huge_image_pdf), RejectCode.PDF_TOO_COMPLEX),
    # Digital waveform files (builders in waveform_files.py).
    Case("xml-billion-laughs", _fixed(wf.xml_billion_laughs), RejectCode.UNSAFE_XML),
    Case("xml-external-entity", _fixed(wf.xml_external_entity), RejectCode.UNSAFE_XML),
    Case("muse-truncated-base64", _fixed(wf.muse_truncated_base64), RejectCode.CORRUPT_FILE),
    Case("muse-huge-count", _fixed(wf.muse_huge_declared_count), RejectCode.CORRUPT_FILE),
    Case("dicom-huge-count", _fixed(wf.dicom_huge_declared_samples), RejectCode.CORRUPT_FILE),
    Case("edf-huge-count", _fixed(wf.edf_huge_declared_records), RejectCode.CORRUPT_FILE),
    Case("wfdb-huge-count", _fixed(wf.wfdb_huge_declared_length), RejectCode.CORRUPT_FILE),
    Case(
        "dicom-truncated", _cut(lambda: wf.dicom_ecg(wf.known_signals())), RejectCode.CORRUPT_FILE
    ),
    Case("aecg-truncated", _cut(lambda: wf.aecg_xml(wf.known_signals())), RejectCode.CORRUPT_FILE),
    Case("zip-bomb", _fixed(wf.zip_bomb), RejectCode.UNSAFE_ARCHIVE),
    Case("zip-ratio-bomb", _fixed(wf.zip_ratio_bomb), RejectCode.UNSAFE_ARCHIVE),
    Case("zip-path-traversal", _fixed(wf.zip_path_traversal), RejectCode.UNSAFE_ARCHIVE),
    Case("zip-many-entries", _fixed(wf.zip_many_entries), RejectCode.UNSAFE_ARCHIVE),
    Case(
        "philips-truncated-xli",
        lambda s: wf.philips_truncated_xli(_waveform_kept(s)),
        RejectCode.CORRUPT_FILE,
    ),
    Case("philips-garbled-xli", wf.philips_garbled_xli, RejectCode.CORRUPT_FILE),
    Case("philips-ok", _fixed(lambda: philips.philips_xml(wf.known_signals())), None),
    Case(
        "dicom-noise", lambda s: magic_then_noise(bytes(128) + b"DICM", s), RejectCode.CORRUPT_FILE
    ),
    Case("edf-noise", lambda s: magic_then_noise(b"0       ", s), RejectCode.CORRUPT_FILE),
    Case("muse-ok", _fixed(lambda: wf.muse_xml(wf.known_signals())), None),
    Case("pdf-ok", _fixed(ecg_pdf), None),
    Case("pdf-at-500", _fixed(lambda: pdf_at_offset(500)), None),
    Case("png-ok", _fixed(lambda: image_bytes(ecg_like_rgb())), None),
    Case("jpeg-exif-rotated", _fixed(exif_rotated_jpeg), None),
    Case("jpeg-cmyk", _fixed(cmyk_jpeg), None),
)


def corpus(count: int, seed: int = 0) -> Iterator[tuple[str, bytes, RejectCode | None]]:
    """`count` uploads cycling through CASES, each made with its own seed."""
    for index in range(count):
        case = CASES[index % len(CASES)]
        yield f"{case.name}-{index}", case.make(seed + index), case.expect
