"""Decide a file's type from its bytes alone.

The client's filename and Content-Type are never consulted: they are attacker-controlled and
routinely wrong (a scan saved as ``.pdf``). Only known signatures are accepted, and a file that
carries two of them (a polyglot) is refused, so that no two tools can disagree about what the
file is.

Printouts: PDF, PNG, JPEG. Digital waveforms: DICOM (``DICM`` at byte 128), a ZIP (read as one
WFDB record), EDF/EDF+ (version field ``0`` and seven spaces), and XML whose root element is
GE MUSE's ``RestingECG``, HL7's ``AnnotatedECG`` or Philips' ``restingecgdata``.
"""

from __future__ import annotations

from typing import Final, Literal, cast

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.ecg_xml import xml_kind
from mtecg.ingest.edf import EDF_MAGIC

Kind = Literal["pdf", "png", "jpeg", "dicom", "wfdb", "edf", "muse-xml", "hl7-aecg", "philips-xml"]

PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC: Final = b"\xff\xd8\xff"
PDF_MAGIC: Final = b"%PDF-"
#: PDF readers accept a header anywhere in the first KiB (some printers prepend a PJL job header).
PDF_MAGIC_WINDOW: Final = 1024
DICOM_MAGIC: Final = b"DICM"
DICOM_PREAMBLE: Final = 128
ZIP_MAGICS: Final = (b"PK\x03\x04", b"PK\x05\x06")
_UNSUPPORTED: Final = (
    "Unsupported file type; upload a PDF, PNG or JPEG printout, or a DICOM, WFDB (zip), EDF, "
    "GE MUSE XML or HL7 aECG waveform."
)


def _other_kind(data: bytes) -> Kind | None:
    """An image or waveform signature at the start of the file, if any."""
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
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
    PDF's ``%PDF-`` must lie wholly within the first 1 KiB. Everything else (BMP, GIF, TIFF,
    WebP, other XML, text, ...) is UNSUPPORTED_TYPE.
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
