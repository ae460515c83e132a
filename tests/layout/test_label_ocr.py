"""The printed lead labels of raster pages, read by Tesseract, prove or refuse the 3 x 4 fit.

Synthetic printouts print each lead's label where a 3 x 4 printer does; a scan whose panels
hold other leads than the fit assumes (two panels swapped) must be refused, never scored with
leads in the wrong panels; a 6 x 2 page whose rows look like a 3 x 4 block with rhythm strips
is read as the 6 x 2 its labels prove (`test_strips` has its refusals).
"""

from __future__ import annotations

import io

import numpy as np
import pymupdf
import pytesseract
import pytest
from PIL import Image

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.geometry import LEADS
from mtecg.ingest import open_document
from mtecg.ingest.sandbox import Sandbox
from mtecg.layout import find_layout
from mtecg.preprocess import preprocess_in_sandbox
from mtecg.synth.dataset import SynthRecord, make_record
from mtecg.synth.scan import Scan


def _scan() -> SynthRecord:
    return make_record(21, "a4-3x4-3r", "png", scan=Scan(dpi=300))


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def test_scan_is_read_with_its_labels_checked() -> None:
    result = find_layout(open_document(_scan().data))
    assert [p.lead for p in result.panels] == list(LEADS)
    assert result.labels_checked


def test_scan_with_two_panels_swapped_is_refused() -> None:
    """aVR and V1 trade places, traces and labels together: the fit alone cannot tell."""
    record = _scan()
    pixels = np.array(Image.open(io.BytesIO(record.data)).convert("RGB"))
    boxes = {p["lead"]: [round(v) for v in p["box"]] for p in record.panels}
    (ax0, ay0, ax1, ay1), (bx0, by0, _, _) = boxes["aVR"], boxes["V1"]
    h, w = ay1 - ay0, ax1 - ax0
    first = pixels[ay0 : ay0 + h, ax0 : ax0 + w].copy()
    pixels[ay0 : ay0 + h, ax0 : ax0 + w] = pixels[by0 : by0 + h, bx0 : bx0 + w]
    pixels[by0 : by0 + h, bx0 : bx0 + w] = first
    with pytest.raises(Rejection) as refused:
        find_layout(open_document(_png(pixels)))
    assert refused.value.code is RejectCode.UNSUPPORTED_LAYOUT
    assert refused.value.reason == Reason.LEAD_LABELS_CONTRADICT


def _scanned_6x2() -> bytes:
    record = make_record(0, "6x2", "pdf")
    with pymupdf.open(stream=record.data, filetype="pdf") as doc:
        return bytes(doc[0].get_pixmap(dpi=300).tobytes("png"))


def test_6x2_page_scanned_is_read_as_6x2_not_as_3x4() -> None:
    """Its six rows fit a 3 x 4 block with three rhythm strips; the labels say otherwise, and
    prove the 6 x 2 it is."""
    result = find_layout(open_document(_scanned_6x2()))
    assert (result.layout_name, result.labels_checked) == ("6x2", True)
    assert [p.lead for p in result.panels] == list(LEADS)


def test_ocr_runs_in_the_sandbox_worker_under_its_limits() -> None:
    """Tesseract, a child of the worker, inherits its address-space and CPU caps and works."""
    with Sandbox(workers=1) as sandbox:
        assert preprocess_in_sandbox(sandbox, _scan().data).summary()["labels_checked"] is True
        strips = preprocess_in_sandbox(sandbox, _scanned_6x2()).summary()
    assert (strips["layout_name"], strips["labels_checked"]) == ("6x2", True)


def test_without_tesseract_the_page_is_read_unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """No OCR is no witness: a page with one rhythm strip is read as before, and says its labels
    were not checked; one with three is refused, as its rows may be a 6 x 2 page's."""
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    one = make_record(21, "letter-3x4-1r", "png", scan=Scan(dpi=300))
    result = find_layout(open_document(one.data))
    assert [p.lead for p in result.panels] == list(LEADS)
    assert not result.labels_checked
    with pytest.raises(Rejection) as refused:
        find_layout(open_document(_scan().data))
    assert refused.value.reason == Reason.LEAD_LABELS_CONTRADICT
