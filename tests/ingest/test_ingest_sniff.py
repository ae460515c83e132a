"""File type comes from magic bytes only (RELIABILITY: anything else, or a renamed file, -> 415)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import hostile

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import open_document, sniff

PNG = hostile.image_bytes(hostile.ecg_like_rgb())
JPEG = hostile.image_bytes(hostile.ecg_like_rgb(), "JPEG")
PDF = hostile.ecg_pdf()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PNG, "png"),
        (JPEG, "jpeg"),
        (PDF, "pdf"),
        (hostile.other_format("TIFF"), "tiff"),
        (hostile.other_format("BMP"), "bmp"),
        (hostile.other_format("WEBP"), "webp"),
        (hostile.other_format("HEIF"), "heif"),
    ],
)
def test_the_accepted_printout_types(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


def test_only_bytes_matter_not_the_name(tmp_path: Path) -> None:
    # A PNG saved as .pdf and a PDF saved as .png: the name never reaches the sniffer.
    (tmp_path / "scan.pdf").write_bytes(PNG)
    (tmp_path / "ecg.png").write_bytes(PDF)
    assert sniff((tmp_path / "scan.pdf").read_bytes()) == "png"
    assert sniff((tmp_path / "ecg.png").read_bytes()) == "pdf"


@pytest.mark.parametrize("offset", [0, 1, 500, 1019])
def test_pdf_header_anywhere_in_the_first_kib(offset: int) -> None:
    assert sniff(b"\0" * offset + PDF) == "pdf"


@pytest.mark.parametrize("offset", [1020, 2000])
def test_pdf_header_beyond_the_first_kib_is_refused(offset: int) -> None:
    with pytest.raises(Rejection) as caught:
        sniff(b" " * offset + PDF)
    assert caught.value.code is RejectCode.UNSUPPORTED_TYPE


@pytest.mark.parametrize(
    "data",
    [
        hostile.other_format("GIF"),
        b"just some text\n",
        b"PNG\r\n" + PNG,  # a damaged signature is not a PNG
        PNG[1:],
        JPEG[1:],
        b"%PDF",  # too short to be the PDF header
        hostile.random_bytes(1),
    ],
    ids=[
        "gif",
        "text",
        "bad-png-sig",
        "png-1",
        "jpeg-1",
        "pdf4",
        "noise",
    ],
)
def test_everything_else_is_unsupported(data: bytes) -> None:
    with pytest.raises(Rejection) as caught:
        sniff(data)
    assert caught.value.code is RejectCode.UNSUPPORTED_TYPE
    assert caught.value.code.http_status == 415


def test_a_zip_is_read_as_a_wfdb_record_and_refused_without_one() -> None:
    assert sniff(hostile.zip_of_pdf()) == "wfdb"
    with pytest.raises(Rejection) as caught:
        open_document(hostile.zip_of_pdf())
    assert caught.value.code is RejectCode.UNSUPPORTED_TYPE


def test_a_polyglot_is_refused_not_guessed() -> None:
    with pytest.raises(Rejection) as caught:
        sniff(hostile.png_with_pdf_magic())
    assert caught.value.code is RejectCode.UNSUPPORTED_TYPE


def test_a_pdf_appended_past_the_first_kib_of_a_png_leaves_a_png() -> None:
    assert sniff(hostile.png_with_trailing_pdf()) == "png"


def test_empty() -> None:
    with pytest.raises(Rejection) as caught:
        sniff(b"")
    assert caught.value.code is RejectCode.EMPTY_FILE
