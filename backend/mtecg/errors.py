"""Stable rejection codes for bad input.

Every refusal the pipeline makes, from the first byte sniffed to the last layout check, is a
`Rejection` carrying one of these codes. The codes are part of the public contract (the CLI's
JSON, the API's problem+json, the UI's Thai messages all key on them), so they never change
meaning; new ones may be added.

A code says what kind of refusal it is; a `reason` (a `Reason` value) says which check refused,
so that a client can tell the user exactly what happened and what to do next ("the rows do not
span 10 s" and "printed at 50 mm/s" are both `unsupported_layout` or `unreadable`, but call for
different actions). Reasons are stable too; a rejection without a more specific one carries its
code's value as its reason.
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
    # A named fixed-geometry profile was chosen but the page does not have its geometry.
    PROFILE_MISMATCH = "profile_mismatch"

    @property
    def http_status(self) -> int:
        """The HTTP status the API answers with for this code."""
        return _HTTP_STATUS.get(self, 422)


_HTTP_STATUS = {
    RejectCode.UNSUPPORTED_TYPE: 415,
    RejectCode.FILE_TOO_LARGE: 413,
}


class Reason(StrEnum):
    """Which check refused the page: the sub-code under `RejectCode` that clients show."""

    # not_ecg
    BLANK_PAGE = "blank_page"
    NOT_A_PRINTOUT = "not_a_printout"  # noise, a photograph: far more ink than any ECG has
    NO_TRACE_ROWS = "no_trace_rows"
    NO_GRID_OR_TRACE = "no_grid_or_trace"
    # unsupported_layout
    PAPER_SPEED = "paper_speed"
    LEAD_LABELS_NOT_3X4 = "lead_labels_not_3x4"
    ROWS_WRONG_LENGTH = "rows_wrong_length"
    TOO_MANY_ROWS = "too_many_rows"
    ROWS_UNEVEN = "rows_uneven"
    NO_LEAD_CHANGES = "no_lead_changes"
    GAIN = "gain"  # a gain other than 5, 10 or 20 mm/mV, or several
    LEAD_LABELS_CONTRADICT = "lead_labels_contradict"  # labels off the rows they name
    LEADS_MISSING = "leads_missing"  # the PDF's pages print fewer than the twelve leads
    STRIPS_WRONG_LENGTH = "strips_wrong_length"  # at the printed speed, not 2.4-10 s
    # unreadable
    ROWS_NOT_10S = "rows_not_10s"
    ROWS_INCOMPLETE = "rows_incomplete"
    ROWS_MISSING = "rows_missing"
    NO_TRACE_ON_GRID = "no_trace_on_grid"
    PHOTO_NOT_RECTIFIED = "photo_not_rectified"
    ORIENTATION_UNCLEAR = "orientation_unclear"  # turned, but which way up is not told
    DARK_GRID = "dark_grid"  # grid lines as dark as the trace (navy, dark green, dark grey)
    # too_low_resolution
    LOW_SCAN_RESOLUTION = "low_scan_resolution"
    # profile_mismatch
    PROFILE_PAGE_SIZE = "profile_page_size"
    PROFILE_SCALE = "profile_scale"
    PROFILE_ROWS = "profile_rows"
    PROFILE_COLUMNS = "profile_columns"
    PROFILE_GRID_LEFT = "profile_grid_left"
    PROFILE_LABELS = "profile_labels"
    PROFILE_NOT_READABLE = "profile_not_readable"


class Rejection(Exception):
    """An input the pipeline refuses: a stable code, the check's reason, an English message."""

    def __init__(self, code: RejectCode, message: str, reason: Reason | str | None = None) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.reason = str(reason) if reason is not None else code.value

    def __reduce__(self) -> tuple[type[Rejection], tuple[RejectCode, str, str]]:
        # Rejections cross the sandbox's process boundary by pickling.
        return (Rejection, (self.code, self.message, self.reason))
