"""Decide a file's type from its bytes alone.

The client's filename and Content-Type are never consulted: they are attacker-controlled and
routinely wrong (a scan saved as ``.pdf``). Only known signatures are accepted, and a file that
carries two of them (a polyglot) is refused, so that no two tools can disagree about what the
file is.

Printouts: PDF, PNG, JPEG, TIFF, BMP, WebP and HEIC/HEIF. Digital waveforms: DICOM (``DICM``
at byte 128), a ZIP (read as one WFDB record), EDF/EDF+ (version field ``0`` and seven
spaces), and XML whose root element is GE MUSE's ``RestingECG``, HL7's ``AnnotatedECG`` or
Philips' ``restingecgdata``.
"""

from __future__ import annotations

from typing import Final, Literal, cast

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.ecg_xml import xml_kind
from mtecg.ingest.edf import EDF_MAGIC

Kind = Literal[
    "pdf",
    "png",
    "jpeg",
    "tiff",
    "bmp",
    "webp",
    "heif",
    "dicom",
    "wfdb",
    "edf",
    "muse-xml",
    "hl7-aecg",
    "philips-xml",
]

PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC: Final = b"\xff\xd8\xff"
#: Little- and big-endian classic TIFF (BigTIFF, ``II+``, is not read by Pillow).
TIFF_MAGICS: Final = (b"II*\x00", b"MM\x00*")
BMP_MAGIC: Final = b"BM"
#: ``BM`` alone is two bytes of text; a real BMP follows its 14-byte file header with a DIB
#: header whose first field is its own size, one of these (BITMAPCOREHEADER ... V5).
BMP_DIB_SIZES: Final = frozenset({12, 40, 52, 56, 64, 108, 124})
WEBP_MAGIC: Final = (b"RIFF", b"WEBP")  # at 0 and at 8 (a RIFF container of type WEBP)
#: ISO base media ``ftyp`` brands of HEIF stills from phones (HEVC-coded: what libheif's
#: decoder here reads). ``mif1``/``msf1`` are generic and count only with a HEVC brand
#: among the compatible ones (AVIF shares them).
HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
HEIF_GENERIC_BRANDS: Final = frozenset({b"mif1", b"msf1"})
PDF_MAGIC: Final = b"%PDF-"
#: PDF readers accept a header anywhere in the first KiB (some printers prepend a PJL job header).
PDF_MAGIC_WINDOW: Final = 1024
DICOM_MAGIC: Final = b"DICM"
DICOM_PREAMBLE: Final = 128
ZIP_MAGICS: Final = (b"PK\x03\x04", b"PK\x05\x06")
_UNSUPPORTED: Final = (
    "Unsupported file type; upload a PDF, PNG, JPEG, TIFF, BMP, WebP or HEIC printout, or a "
    "DICOM, WFDB (zip), EDF, GE MUSE XML or HL7 aECG waveform."
)


def _is_bmp(data: bytes) -> bool:
    return data.startswith(BMP_MAGIC) and int.from_bytes(data[14:18], "little") in BMP_DIB_SIZES


def _is_heif(data: bytes) -> bool:
    """An ISO BMFF file whose first box is ``ftyp`` with a HEIF still-image brand."""
    if data[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(data[0:4], "big")
    if not 16 <= box_size <= 4096 or len(data) < box_size:
        return False
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, box_size - 3, 4)}
    if major in HEIF_BRANDS:
        return True
    return major in HEIF_GENERIC_BRANDS and bool(compatible & HEIF_BRANDS)


def _image_kind(data: bytes) -> Kind | None:
    """A raster image signature at the start of the file, if any."""
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith(TIFF_MAGICS):
        return "tiff"
    if _is_bmp(data):
        return "bmp"
    if data.startswith(WEBP_MAGIC[0]) and data[8:12] == WEBP_MAGIC[1]:
        return "webp"
    if _is_heif(data):
        return "heif"
    return None


def _other_kind(data: bytes) -> Kind | None:
    """An image or waveform signature at the start of the file, if any."""
    image = _image_kind(data)
    if image is not None:
        return image
    if data[DICOM_PREAMBLE : DICOM_PREAMBLE + len(DICOM_MAGIC)] == DICOM_MAGIC:
        return "dicom"
    if data.startswith(ZIP_MAGICS):
        return "wfdb"
    if data.startswith(EDF_MAGIC):
        return "edf"
    kind = xml_kind(data)
    return None if kind is None else cast(Kind, kind)


def sniff(data: bytes) -> Kind:
    """Return the file's kind (see `Kind`), or raise a Rejection.

    Signatures other than PDF's must start at byte 0 (DICOM's at 128, after its preamble);
    PDF's ``%PDF-`` must lie wholly within the first 1 KiB. Everything else (GIF, AVIF,
    BigTIFF, other XML, text, ...) is UNSUPPORTED_TYPE.
    """
    if not data:
        raise Rejection(RejectCode.EMPTY_FILE, "The file is empty.")
    has_pdf = data.find(PDF_MAGIC, 0, PDF_MAGIC_WINDOW) >= 0
    other = _other_kind(data)
    if other is not None and has_pdf:
        raise Rejection(
            RejectCode.UNSUPPORTED_TYPE,
            f"The file is both a PDF and {other}; upload a plain file of one type.",
        )
    if other is not None:
        return other
    if has_pdf:
        return "pdf"
    raise Rejection(RejectCode.UNSUPPORTED_TYPE, _UNSUPPORTED)
