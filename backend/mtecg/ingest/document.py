"""The ingest entry point: untrusted upload bytes -> one page to screen.

`open_document` parses in the calling process, so processes that hold sessions (the API, the
CLI) call it only inside a `Sandbox` job.
"""

from __future__ import annotations

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.digital import WAVEFORM_KINDS, open_waveform
from mtecg.ingest.image import open_image
from mtecg.ingest.limits import DEFAULT_INGEST_LIMITS, IngestLimits
from mtecg.ingest.page import PageSource
from mtecg.ingest.pdf import open_pdf
from mtecg.ingest.sniff import Kind, sniff

__all__ = ["PageSource", "open_document", "sniff_within"]


def sniff_within(data: bytes, limits: IngestLimits = DEFAULT_INGEST_LIMITS) -> Kind:
    """EMPTY_FILE, FILE_TOO_LARGE, or the file's kind by its magic bytes."""
    if not data:
        raise Rejection(RejectCode.EMPTY_FILE, "The file is empty.")
    if len(data) > limits.max_bytes:
        raise Rejection(
            RejectCode.FILE_TOO_LARGE,
            f"The file is larger than {limits.max_bytes // 2**20} MiB.",
        )
    return sniff(data)


def open_document(data: bytes, limits: IngestLimits = DEFAULT_INGEST_LIMITS) -> PageSource:
    """Sniff, check and open upload bytes; every refusal is a `Rejection`.

    EMPTY_FILE and FILE_TOO_LARGE first (no parsing at all), then the type by magic bytes,
    then the format's own checks (see `open_pdf`, `open_image` and `open_waveform`, which
    draws a waveform file's signals as a printout page).
    """
    kind = sniff_within(data, limits)
    if kind == "pdf":
        return open_pdf(data, limits)
    if kind in WAVEFORM_KINDS:
        return open_waveform(data, kind, limits)
    return open_image(data, kind, limits)
