"""Open an untrusted PDF with PyMuPDF, check it, and pick the page that holds the ECG.

Everything that can be refused from structure alone is refused before a page is interpreted:
truncation, encryption, page count, object count, page size at 300 dpi and the content each
page expands to (see `pdf_structure`). Only then is the first page interpreted once, cheaply,
to see whether it draws anything but text, and only `render` rasterises.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import numpy as np
import pymupdf

from mtecg.errors import RejectCode, Rejection
from mtecg.geometry import RENDER_DPI
from mtecg.ingest.limits import IngestLimits
from mtecg.ingest.pdf_structure import StructureCheck
from mtecg.ingest.raster import RGB, Clip, Word, clip_box, fit, output_size

#: Native pixels per PDF point (1/72 inch) at the render resolution.
PX_PER_PT: Final = RENDER_DPI / 72.0
#: A complete PDF ends with %%EOF; a writer may add a little whitespace or padding after it.
#: Anti-aliasing bits for rendering (MuPDF's default is 8): 16 edge levels are plenty for a
#: 11.8 px/mm trace image and halve the rasterisation time of dense vector grids.
_AA_LEVEL: Final = 4
_EOF_MARKER: Final = b"%%EOF"
_EOF_WINDOW: Final = 1024
#: bboxlog entries that mean the page draws something other than text.
_GRAPHICS: Final = frozenset(
    {"fill-path", "stroke-path", "fill-image", "fill-imgmask", "fill-shade"}
)
_LIMIT_ERROR: Final[type[BaseException]] = pymupdf.mupdf.FzErrorLimit
_LIMIT_PREFIX: Final = f"code={pymupdf.mupdf.FZ_ERROR_LIMIT}:"


def _corrupt(what: str = "damaged or incomplete") -> Rejection:
    return Rejection(RejectCode.CORRUPT_FILE, f"The PDF is {what}.")


@contextmanager
def _anti_aliasing(level: int) -> Iterator[None]:
    """MuPDF's anti-aliasing level is process-wide: set it for one render, then restore it."""
    previous = pymupdf.TOOLS.show_aa_level()["graphics"]
    pymupdf.TOOLS.set_aa_level(level)
    try:
        yield
    finally:
        pymupdf.TOOLS.set_aa_level(previous)


@contextmanager
def _mupdf_errors() -> Iterator[None]:
    """Turn a MuPDF failure into a Rejection; MemoryError and Rejection pass through.

    MuPDF stops at its own limits (nesting of content or objects, ~2,000 levels) with
    FZ_ERROR_LIMIT, raised either as FzErrorLimit or as RuntimeError("code=5: ...").
    """
    try:
        yield
    except (Rejection, MemoryError):
        raise
    except Exception as exc:
        if isinstance(exc, _LIMIT_ERROR) or str(exc).startswith(_LIMIT_PREFIX):
            raise Rejection(
                RejectCode.PDF_TOO_COMPLEX, "The PDF page is too complex to process."
            ) from exc
        raise _corrupt() from exc


class PdfPage:
    """A `PageSource` over one page of an open PDF, rendered on demand at 300 dpi x scale."""

    kind = "pdf"
    native_dpi: float | None = float(RENDER_DPI)

    def __init__(self, doc: Any, page_index: int, limits: IngestLimits) -> None:
        self._doc = doc  # a Page only holds a weak reference to its Document
        with _mupdf_errors():
            self._page = doc.load_page(page_index)
        self._limits = limits
        self.page_index = page_index
        rect = self._page.rect
        self.width = round(rect.width * PX_PER_PT)
        self.height = round(rect.height * PX_PER_PT)

    def render(self, scale: float = 1.0, clip: Clip | None = None) -> RGB:
        """RGB uint8 of `clip` (native 300-dpi pixels; None = whole page) at `scale` x native.

        Only the clip is rasterised, so an overview at scale 0.25 followed by a full-resolution
        crop costs little more than the crop. Annotations are not drawn: ECG exports draw on the
        page itself, and annotation appearances are not covered by the structure checks.
        """
        box = clip_box(clip, self.width, self.height)
        height, width = output_size(box, scale, self._limits.max_pixels, RejectCode.PAGE_TOO_LARGE)
        zoom = PX_PER_PT * scale
        x0, y0, x1, y1 = (v / PX_PER_PT for v in box)
        with _mupdf_errors(), _anti_aliasing(_AA_LEVEL):
            pix = self._page.get_pixmap(
                matrix=pymupdf.Matrix(zoom, zoom),  # type: ignore[no-untyped-call]
                clip=pymupdf.Rect(x0, y0, x1, y1),  # type: ignore[no-untyped-call]
                alpha=False,
                annots=False,
                colorspace=pymupdf.csRGB,
            )
        samples = np.frombuffer(pix.samples_mv, dtype=np.uint8)
        rows = samples.reshape(pix.height, pix.stride)[:, : pix.width * 3]
        return fit(rows.reshape(pix.height, pix.width, 3), height, width)

    def text(self) -> str:
        """The page's text in reading order (used to spot e.g. '50 mm/s')."""
        with _mupdf_errors():
            return str(self._page.get_text("text"))

    def drawings(self) -> list[dict[str, Any]]:
        """The page's vector paths in PDF points (`get_cdrawings`), for exact trace reading."""
        with _mupdf_errors():
            return list(self._page.get_cdrawings())

    @property
    def page_count(self) -> int:
        """Pages in the document (a layout may spread its leads over several)."""
        return int(self._doc.page_count)

    def sibling(self, page_index: int) -> PdfPage:
        """Another page of the same document, checked by `open_pdf` like this one."""
        return PdfPage(self._doc, page_index, self._limits)

    def words(self) -> list[Word]:
        """The page's words with their boxes in native pixels (lead labels locate the panels).

        MuPDF gives word boxes in the unrotated page's space; they are turned with the page's
        /Rotate so they land where `render` draws the words.
        """
        with _mupdf_errors():
            found = self._page.get_text("words")
            turn = self._page.rotation_matrix * pymupdf.Matrix(PX_PER_PT, PX_PER_PT)  # type: ignore[no-untyped-call]
            boxes = [pymupdf.Rect(w[:4]) * turn for w in found]  # type: ignore[no-untyped-call]
        return [(b.x0, b.y0, b.x1, b.y1, str(w[4])) for b, w in zip(boxes, found, strict=True)]


def open_pdf(data: bytes, limits: IngestLimits) -> PdfPage:
    """Check PDF bytes against `limits` and return the page to screen.

    Rejections: CORRUPT_FILE (truncated, unparsable, no pages), ENCRYPTED_PDF (needs a
    password), TOO_MANY_PAGES, PDF_TOO_COMPLEX (objects, content, nesting, embedded images),
    PAGE_TOO_LARGE (page above the pixel cap at 300 dpi).
    """
    if _EOF_MARKER not in data[-_EOF_WINDOW:]:
        raise _corrupt("incomplete (truncated)")
    with _mupdf_errors():
        doc = pymupdf.open(stream=data, filetype="pdf")  # type: ignore[no-untyped-call]
    if doc.needs_pass:
        # Permission-only encryption (opens without a password) is accepted: device exports
        # use it to discourage editing, and the content is as readable as an unencrypted file.
        raise Rejection(
            RejectCode.ENCRYPTED_PDF, "The PDF is password-protected; upload it without a password."
        )
    with _mupdf_errors():
        _check_document(doc, limits)
        chosen = _choose_page(doc)
    return PdfPage(doc, chosen, limits)


def _check_document(doc: Any, limits: IngestLimits) -> None:
    pages = doc.page_count
    if pages == 0:
        raise _corrupt("empty (it has no pages)")
    if pages > limits.max_pdf_pages:
        raise Rejection(
            RejectCode.TOO_MANY_PAGES,
            f"The PDF has more than {limits.max_pdf_pages} pages; upload the ECG page only.",
        )
    if doc.xref_length() - 1 > limits.max_pdf_objects:
        raise Rejection(RejectCode.PDF_TOO_COMPLEX, "The PDF has too many objects to process.")
    structure = StructureCheck(doc, limits)
    for index in range(pages):
        page = doc.load_page(index)
        _check_page_size(page.rect.width * PX_PER_PT, page.rect.height * PX_PER_PT, limits)
        structure.check_page(page.xref, page.get_contents())


def _check_page_size(width: float, height: float, limits: IngestLimits) -> None:
    if not (math.isfinite(width) and math.isfinite(height)) or width < 1 or height < 1:
        raise _corrupt("damaged (a page has no usable size)")
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise Rejection(
            RejectCode.PAGE_TOO_LARGE, "A page of the PDF is too large to render at 300 dpi."
        )


def _choose_page(doc: Any) -> int:
    """The first page drawing anything besides text; page 1 if none does.

    A blank or text-only first page (a cover sheet, a report) is skipped; if no page qualifies,
    page 1 goes on and the layout stage rejects it as not an ECG, with that reason.
    """
    for index in range(doc.page_count):
        log = doc.load_page(index).get_bboxlog()  # interprets the page: MuPDF limits trip here
        if any(entry[0] in _GRAPHICS for entry in log):
            return int(index)
    return 0
