"""Stable rejection codes for bad input.

Every refusal the pipeline makes, from the first byte sniffed to the last layout check, is a
`Rejection` carrying one of these codes. The codes are part of the public contract (the CLI's
JSON, the API's problem+json, the UI's Thai messages all key on them), so they never change
meaning; new ones may be added.
"""

from __future__ import annotations

from enum import StrEnum


class RejectCode(StrEnum):
    """Why an upload cannot be screened. The value is the machine code clients see."""

    # Ingest: the bytes themselves.
    UNSUPPORTED_TYPE = "unsupported_type"
    FILE_TOO_LARGE = "file_too_large"
    EMPTY_FILE = "empty_file"
    CORRUPT_FILE = "corrupt_file"
    IMAGE_TOO_LARGE = "image_too_large"
    ENCRYPTED_PDF = "encrypted_pdf"
    TOO_MANY_PAGES = "too_many_pages"
    PAGE_TOO_LARGE = "page_too_large"
    PDF_TOO_COMPLEX = "pdf_too_complex"
    PROCESSING_TIMEOUT = "processing_timeout"
    PROCESSING_FAILED = "processing_failed"
    # Ingest: digital waveform files (DICOM, WFDB, EDF, XML exports).
    UNSAFE_XML = "unsafe_xml"
    UNSAFE_ARCHIVE = "unsafe_archive"
    UNSUPPORTED_ENCODING = "unsupported_encoding"
    MISSING_LEADS = "missing_leads"
    WRONG_UNITS = "wrong_units"
    UNSUPPORTED_SAMPLE_RATE = "unsupported_sample_rate"
    RECORD_TOO_SHORT = "record_too_short"
    NO_SIGNALS = "no_signals"  # a signal export asked of a picture, which has none
    # Layout: the picture on the page.
    NOT_ECG = "not_ecg"
    UNSUPPORTED_LAYOUT = "unsupported_layout"
    TOO_LOW_RESOLUTION = "too_low_resolution"
    UNREADABLE = "unreadable"

    @property
    def http_status(self) -> int:
        """The HTTP status the API answers with for this code."""
        return _HTTP_STATUS.get(self, 422)


_HTTP_STATUS = {
    RejectCode.UNSUPPORTED_TYPE: 415,
    RejectCode.FILE_TOO_LARGE: 413,
}


class Rejection(Exception):
    """An input the pipeline refuses, with a stable code and an English message for people."""

    def __init__(self, code: RejectCode, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[Rejection], tuple[RejectCode, str]]:
        # Rejections cross the sandbox's process boundary by pickling.
        return (Rejection, (self.code, self.message))
