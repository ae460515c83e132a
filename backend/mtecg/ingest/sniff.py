"""Decide a file's type from its bytes alone.

The client's filename and Content-Type are never consulted: they are attacker-controlled and
routinely wrong (a scan saved as ``.pdf``). Only three signatures are accepted, and a file that
carries two of them (a polyglot) is refused, so that no two tools can disagree about what the
file is.
"""

from __future__ import annotations

from typing import Final, Literal

from mtecg.errors import RejectCode, Rejection

Kind = Literal["pdf", "png", "jpeg"]

PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC: Final = b"\xff\xd8\xff"
PDF_MAGIC: Final = b"%PDF-"
#: PDF readers accept a header anywhere in the first KiB (some printers prepend a PJL job header).
PDF_MAGIC_WINDOW: Final = 1024


def sniff(data: bytes) -> Kind:
    """Return "pdf", "png" or "jpeg", or raise a Rejection.

    PNG and JPEG must start at byte 0; PDF's ``%PDF-`` must lie wholly within the first 1 KiB.
    Everything else (BMP, GIF, TIFF, WebP, ZIP, text, ...) is UNSUPPORTED_TYPE.
    """
    if not data:
        raise Rejection(RejectCode.EMPTY_FILE, "The file is empty.")
    has_pdf = data.find(PDF_MAGIC, 0, PDF_MAGIC_WINDOW) >= 0
    image: Kind | None = None
    if data.startswith(PNG_MAGIC):
        image = "png"
    elif data.startswith(JPEG_MAGIC):
        image = "jpeg"
    if image is not None and has_pdf:
        raise Rejection(
            RejectCode.UNSUPPORTED_TYPE,
            "The file is both an image and a PDF; upload a plain PDF, PNG or JPEG.",
        )
    if image is not None:
        return image
    if has_pdf:
        return "pdf"
    raise Rejection(
        RejectCode.UNSUPPORTED_TYPE,
        "Unsupported file type; upload a PDF, PNG or JPEG.",
    )
