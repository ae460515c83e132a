"""PDF: structural refusals before rendering, page choice, clip-only rendering at 300 dpi."""

from __future__ import annotations

import numpy as np
import pytest
from support import hostile

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import IngestLimits, PageSource, open_document

A4_300DPI = (3508, 2480)  # height, width of a portrait A4 page at 300 dpi


def _code(data: bytes, limits: IngestLimits | None = None) -> RejectCode:
    with pytest.raises(Rejection) as caught:
        open_document(data, limits or IngestLimits())
    return caught.value.code


def test_a_page_opens_at_300_dpi_with_its_text() -> None:
    source = open_document(hostile.ecg_pdf())
    assert isinstance(source, PageSource)
    assert (source.kind, source.page_index, source.native_dpi) == ("pdf", 0, 300.0)
    assert (source.height, source.width) == A4_300DPI
    assert "25 mm/s" in source.text()
    words = source.words()
    assert [w[4] for w in words[:2]] == ["25", "mm/s"]
    x0, y0, x1, y1, _ = words[0]
    assert 0 < x0 < x1 < source.width and 0 < y0 < y1 < 600  # native pixels, top of the page


def test_render_whole_page_overview_and_clip_agree() -> None:
    source = open_document(hostile.ecg_pdf())
    full = source.render()
    assert full.shape == (*A4_300DPI, 3) and full.dtype == np.uint8
    assert full.min() < 50  # the trace is drawn
    clip = (200.0, 1500.0, 1300.0, 2200.0)
    crop = source.render(1.0, clip)
    assert crop.shape == (700, 1100, 3)
    assert np.abs(crop.astype(int) - full[1500:2200, 200:1300]).mean() < 1.0
    assert source.render(0.25).shape == (877, 620, 3)
    assert source.render(0.5, clip).shape == (350, 550, 3)


def test_rendering_is_copy_safe() -> None:
    source = open_document(hostile.ecg_pdf())
    first = source.render(0.1)
    first[:] = 0
    assert source.render(0.1).max() == 255


def test_render_refuses_outputs_above_the_pixel_cap() -> None:
    source = open_document(hostile.ecg_pdf())
    with pytest.raises(Rejection) as caught:
        source.render(4.0)  # 139 MP
    assert caught.value.code is RejectCode.PAGE_TOO_LARGE


@pytest.mark.parametrize(
    ("first", "pages", "chosen"),
    [("ecg", 2, 0), ("blank", 2, 1), ("text", 2, 1), ("text", 1, 0), ("blank", 1, 0)],
)
def test_page_choice_skips_a_first_page_without_graphics(
    first: str, pages: int, chosen: int
) -> None:
    assert open_document(hostile.ecg_pdf(pages, first)).page_index == chosen


def test_two_text_only_pages_give_page_one_for_layout_to_refuse() -> None:
    pdf = hostile.PdfWriter()
    pdf.page(hostile.TEXT)
    pdf.page(hostile.TEXT)
    assert open_document(pdf.tobytes()).page_index == 0


def test_page_count_cap() -> None:
    assert _code(hostile.ecg_pdf(7)) is RejectCode.TOO_MANY_PAGES
    assert open_document(hostile.ecg_pdf(7), IngestLimits(max_pdf_pages=7)).page_index == 0


def test_zero_pages_is_corrupt() -> None:
    assert _code(hostile.zero_page_pdf()) is RejectCode.CORRUPT_FILE


@pytest.mark.parametrize("keep", [0.05, 0.3, 0.6, 0.9, 0.995])
def test_truncated_pdfs_are_corrupt(keep: float) -> None:
    assert _code(hostile.truncated(hostile.ecg_pdf(), keep)) is RejectCode.CORRUPT_FILE


@pytest.mark.parametrize("seed", range(5))
def test_header_then_noise_is_corrupt(seed: int) -> None:
    noise = hostile.magic_then_noise(b"%PDF-1.7\n", seed) + b"\n%%EOF\n"
    assert _code(noise) is RejectCode.CORRUPT_FILE


def test_junk_before_the_header_is_tolerated() -> None:
    assert open_document(hostile.pdf_at_offset(500)).kind == "pdf"


def test_encryption_needing_a_password_is_refused() -> None:
    assert _code(hostile.encrypted_pdf()) is RejectCode.ENCRYPTED_PDF


def test_permission_only_encryption_opens() -> None:
    # Owner-password-only files open without a password; devices use it to deter editing.
    source = open_document(hostile.encrypted_pdf(user_password=False))
    assert source.render(0.1).min() < 128
    assert "25 mm/s" in source.text()


def test_giant_page_is_refused_before_rendering() -> None:
    assert _code(hostile.ecg_pdf(size_mm=(5000, 5000))) is RejectCode.PAGE_TOO_LARGE
    # A2 (34.8 MP at 300 dpi) is under the 40 MP cap; A1 (69.6 MP) is not.
    assert open_document(hostile.ecg_pdf(size_mm=(420, 594))).width == 4961
    assert _code(hostile.ecg_pdf(size_mm=(594, 841))) is RejectCode.PAGE_TOO_LARGE


@pytest.mark.parametrize(
    ("data", "limits"),
    [
        (hostile.many_objects_pdf(100_001), IngestLimits()),
        (hostile.many_objects_pdf(50), IngestLimits(max_pdf_objects=40)),
        (hostile.nested_forms_pdf(11), IngestLimits()),
        (hostile.nested_forms_pdf(4), IngestLimits(max_form_depth=3)),
        (hostile.form_fanout_pdf(), IngestLimits()),
        (hostile.inherited_fanout_pdf(), IngestLimits()),
        (hostile.escaped_name_fanout_pdf(), IngestLimits()),
        (hostile.pattern_fanout_pdf(), IngestLimits()),
        (hostile.type3_fanout_pdf(), IngestLimits()),
        (hostile.self_drawing_form_pdf(), IngestLimits()),
        (hostile.flate_bomb_pdf(64 * 2**20), IngestLimits()),
        (hostile.flate_bomb_pdf(2**20), IngestLimits(max_content_bytes=2**19)),
        (hostile.huge_image_pdf(), IngestLimits()),
        (hostile.huge_image_pdf(1, 30_000), IngestLimits()),
    ],
    ids=[
        "objects",
        "objects-custom",
        "form-depth",
        "form-depth-custom",
        "fanout",
        "inherited-fanout",
        "escaped-name-fanout",
        "pattern-fanout",
        "type3-fanout",
        "form-cycle",
        "flate-bomb",
        "content-custom",
        "image-100k",
        "image-strip",
    ],
)
def test_structural_bombs_are_refused_before_rendering(data: bytes, limits: IngestLimits) -> None:
    assert _code(data, limits) is RejectCode.PDF_TOO_COMPLEX


@pytest.mark.parametrize(
    "data",
    [
        hostile.nested_forms_pdf(10),
        hostile.form_fanout_pdf(depth=3, fanout=10),
        hostile.q_nesting_pdf(1000),
        hostile.flate_bomb_pdf(8 * 2**20),
        hostile.huge_image_pdf(2000, 2000),
    ],
    ids=["forms-10-deep", "fanout-100", "q-1000", "content-8MB", "image-4MP"],
)
def test_the_caps_leave_room_for_real_documents(data: bytes) -> None:
    assert open_document(data).render(0.05).shape == (175, 124, 3)


@pytest.mark.parametrize(
    "data",
    [hostile.q_nesting_pdf(5000), hostile.nested_arrays_pdf(100_000)],
    ids=["q-5000", "arrays-100k"],
)
def test_deep_content_nesting_trips_mupdfs_limits_before_rendering(data: bytes) -> None:
    # MuPDF stops at about 2,000 levels while the page is first interpreted (page choice).
    assert _code(data) is RejectCode.PDF_TOO_COMPLEX
