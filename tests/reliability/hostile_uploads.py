"""The hostile corpus for the real server: tests/ingest/hostile.py's catalogue plus variants.

`hostile.corpus` cycles through every generator there with changing seeds; the variants here
add what an attacker or a broken client sends over HTTP that the in-process catalogue does not
cover: renamed files, damaged magic numbers, image/PDF polyglots, other encryptions, many and
huge pages, and genuine decompression bombs of both image formats. Every file comes with the
rejection code the service must answer with; files that must open are left out (they are not
hostile, and a harmless one may be screened).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator

import numpy as np
import pymupdf
from PIL import Image
from support import hostile
from support import waveform_files as wf

from mtecg.errors import RejectCode

#: Client-chosen names, including path tricks: the service must never use them.
FILENAMES = (
    "ecg.pdf",
    "scan.png",
    "../../../../tmp/mtecg-escape.pdf",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "a" * 400 + ".pdf",
    "ผลตรวจ ECG.pdf",
)


def damaged_magic(data: bytes, offset: int, replacement: bytes) -> bytes:
    """The same file with its magic number overwritten at `offset`."""
    return data[:offset] + replacement + data[offset + len(replacement) :]


def pdf_damaged_magic() -> bytes:
    return damaged_magic(hostile.ecg_pdf(), 0, b"%PDX-")


def png_damaged_magic() -> bytes:
    return damaged_magic(hostile.image_bytes(hostile.ecg_like_rgb()), 1, b"PNH")


def jpeg_damaged_magic() -> bytes:
    return damaged_magic(hostile.image_bytes(hostile.ecg_like_rgb(), "JPEG"), 0, b"\xff\xd9")


def png_signature_then_pdf() -> bytes:
    """A PNG signature glued in front of a whole PDF."""
    return b"\x89PNG\r\n\x1a\n" + hostile.ecg_pdf()


def jpeg_then_pdf() -> bytes:
    """A JPEG start-of-image marker and a PDF within the sniffer's first KiB."""
    return b"\xff\xd8\xff\xe0" + b"\x00" * 200 + hostile.ecg_pdf()


def encrypted(method: int) -> bytes:
    """The small ECG PDF encrypted with a user password by `method` (RC4-128, AES-128...)."""
    doc = pymupdf.open(stream=hostile.ecg_pdf(), filetype="pdf")
    return bytes(doc.tobytes(encryption=method, owner_pw="owner", user_pw="user"))


def jpeg_decompression_bomb(side: int = 7000) -> bytes:
    """A genuine, complete JPEG of side x side uniform grey: ~1 MB on disk, 49 MP decoded."""
    return hostile.image_bytes(
        Image.fromarray(np.full((side, side), 200, dtype=np.uint8)), "JPEG", quality=5
    )


def dicom_with_pdf_preamble() -> bytes:
    """A DICOM file whose 128-byte preamble (free for any use) carries a PDF header."""
    dicom = wf.dicom_ecg(wf.known_signals())
    return b"%PDF-1.7\n".ljust(128, b" ") + dicom[128:]


def wfdb_zip_with_pdf() -> bytes:
    """A ZIP holding a record's signal file and a PDF but no header (not one WFDB record)."""
    record = zipfile.ZipFile(io.BytesIO(wf.wfdb_zip(wf.known_signals())))
    return wf.zip_of({"rec.dat": record.read("rec.dat"), "ecg.pdf": hostile.ecg_pdf()})


def nested_zip_bomb() -> bytes:
    """A record whose .dat is itself a zip bomb, inside a zip (ratio refused at the outer one)."""
    return wf.zip_of({"rec.hea": b"rec 12 500 5000\n", "rec.dat": wf.zip_bomb() * 40})


def xml_parameter_entity() -> bytes:
    """An aECG whose DTD fetches an external parameter entity (out-of-band exfiltration)."""
    dtd = '<!DOCTYPE AnnotatedECG [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>'
    return wf.aecg_xml(wf.known_signals(), prolog=dtd)


VARIANTS: tuple[tuple[str, Callable[[], bytes], RejectCode], ...] = (
    ("renamed-gif", lambda: hostile.other_format("GIF"), RejectCode.UNSUPPORTED_TYPE),
    ("renamed-ico", lambda: hostile.other_format("ICO"), RejectCode.UNSUPPORTED_TYPE),
    ("pdf-damaged-magic", pdf_damaged_magic, RejectCode.UNSUPPORTED_TYPE),
    ("png-damaged-magic", png_damaged_magic, RejectCode.UNSUPPORTED_TYPE),
    ("jpeg-damaged-magic", jpeg_damaged_magic, RejectCode.UNSUPPORTED_TYPE),
    ("polyglot-png-signature-pdf", png_signature_then_pdf, RejectCode.UNSUPPORTED_TYPE),
    ("polyglot-jpeg-pdf", jpeg_then_pdf, RejectCode.UNSUPPORTED_TYPE),
    ("pdf-pjl-header-at-1100", lambda: hostile.pdf_at_offset(1100), RejectCode.UNSUPPORTED_TYPE),
    ("pdf-rc4-128", lambda: encrypted(pymupdf.PDF_ENCRYPT_RC4_128), RejectCode.ENCRYPTED_PDF),
    ("pdf-aes-128", lambda: encrypted(pymupdf.PDF_ENCRYPT_AES_128), RejectCode.ENCRYPTED_PDF),
    ("pdf-50-pages", lambda: hostile.ecg_pdf(50), RejectCode.TOO_MANY_PAGES),
    ("pdf-500-pages", lambda: hostile.ecg_pdf(500), RejectCode.TOO_MANY_PAGES),
    (
        "pdf-1200mm-square-page",
        lambda: hostile.ecg_pdf(size_mm=(1200, 1200)),
        RejectCode.PAGE_TOO_LARGE,
    ),
    ("pdf-5m-long-strip", lambda: hostile.ecg_pdf(size_mm=(5000, 20)), RejectCode.PAGE_TOO_LARGE),
    ("png-bomb-8000", lambda: hostile.png_bomb(8000, 8000), RejectCode.IMAGE_TOO_LARGE),
    ("png-header-strip", lambda: hostile.png_header_bomb(30_000, 10), RejectCode.IMAGE_TOO_LARGE),
    ("jpeg-bomb-7000", jpeg_decompression_bomb, RejectCode.IMAGE_TOO_LARGE),
    (
        "jpeg-header-strip",
        lambda: hostile.jpeg_header_bomb(60_000, 16),
        RejectCode.IMAGE_TOO_LARGE,
    ),
    # Digital waveform files: polyglots and bombs only HTTP clients send.
    ("polyglot-dicom-preamble-pdf", dicom_with_pdf_preamble, RejectCode.UNSUPPORTED_TYPE),
    ("zip-wfdb-record-and-pdf", wfdb_zip_with_pdf, RejectCode.UNSUPPORTED_TYPE),
    ("zip-nested-bomb", nested_zip_bomb, RejectCode.UNSAFE_ARCHIVE),
    ("xml-parameter-entity", xml_parameter_entity, RejectCode.UNSAFE_XML),
)


def hostile_uploads(count: int, seed: int = 0) -> Iterator[tuple[str, bytes, RejectCode]]:
    """Every variant once, then the seeded catalogue corpus until `count` files in all."""
    made = 0
    for name, make, expect in VARIANTS:
        yield name, make(), expect
        made += 1
    for name, data, expected in hostile.corpus(10 * count, seed):
        if made >= count:
            return
        if expected is not None:
            yield name, data, expected
            made += 1
