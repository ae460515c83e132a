"""Upload bytes -> canonical ECG image: ingest and layout as one step.

This is the unit of untrusted work: it parses the file and renders it, so callers that hold
patient sessions (the API, the CLI) run it through the sandbox (`preprocess_in_sandbox`)
rather than in their own process. Tests and training call `preprocess` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import IngestLimits, open_document
from mtecg.ingest.digital import WAVEFORM_KINDS, SignalPage, read_signals
from mtecg.ingest.document import sniff_within
from mtecg.ingest.pdf import PdfPage
from mtecg.ingest.sandbox import Sandbox
from mtecg.ingest.vector_signals import vector_signals
from mtecg.layout import AUTO, LayoutResult, find_layout
from mtecg.synth.signals import Signals
from mtecg.timing import Stopwatch

#: Profiles that can read a page drawn from a waveform (it is drawn at the Siriraj geometry).
SIGNAL_PAGE_PROFILES = (AUTO, "siriraj-grid")


@dataclass(frozen=True)
class Preprocessed:
    """A readable 12-lead page: where it came from, its layout, the canonical image.

    `kind` is the input type as sniffed (pdf, png, jpeg, tiff, bmp, webp, heif, dicom, wfdb,
    edf, muse-xml, hl7-aecg, philips-xml);
    `signals` holds the twelve leads (mV, 500 Hz, 10 s) where the input had them exactly.
    """

    kind: str
    page: int  # 1-based page number of a PDF; 1 for an image
    layout: LayoutResult
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)
    signals: Signals | None = field(default=None, repr=False, compare=False)

    def summary(self) -> dict[str, Any]:
        """The JSON-able description (everything but the image); `rectification` only for a
        photo that was straightened (see `mtecg.layout.rectify`)."""
        summary: dict[str, Any] = {
            "profile": self.layout.profile,
            "page": self.page,
            "input_type": self.kind,
            "px_per_mm": self.layout.px_per_mm,
            "rotation_deg": self.layout.rotation_deg,
            "rhythm_strips": self.layout.rhythm_strips,
            "layout_name": self.layout.layout_name,
            "time_windows": self.layout.time_windows,
            "paper_speed_mm_s": self.layout.paper_speed_mm_s,
            "gain_mm_mv": self.layout.gain_mm_mv,
            "labels_checked": self.layout.labels_checked,
            "pages": list(self.layout.pages) or [self.page],
            "panels": [panel.to_json() for panel in self.layout.panels],
        }
        if self.layout.rectification is not None:
            summary["rectification"] = self.layout.rectification
        return summary


def preprocess(
    data: bytes,
    profile: str = AUTO,
    limits: IngestLimits | None = None,
    vector_traces: bool = False,
) -> Preprocessed:
    """Reads upload bytes into the canonical image; raises `Rejection` for unusable input.

    A waveform file always keeps its signals; a vector PDF's traces are read into signals
    only when `vector_traces` asks for them (it costs a pass over the page's paths).
    """
    clock = Stopwatch()
    with clock.stage("open"):
        source = open_document(data, limits or IngestLimits())
    signals = source.signals if isinstance(source, SignalPage) else None
    if signals is not None and profile not in SIGNAL_PAGE_PROFILES:
        raise Rejection(
            RejectCode.UNSUPPORTED_LAYOUT,
            f"A waveform file is drawn at the canonical geometry; profile {profile} cannot "
            "read it.",
        )
    layout = find_layout(source, profile)
    # Exact traces are read from a 25 mm/s 3 x 4 page only (its panels all on the opened page).
    if signals is None and vector_traces and isinstance(source, PdfPage) and not layout.pages:
        signals = vector_signals(source.drawings(), layout)
    return Preprocessed(
        kind=source.kind,
        page=source.page_index + 1,
        layout=layout,
        timings_ms={**clock.ms, **layout.timings_ms},
        signals=signals,
    )


def preprocess_in_sandbox(
    sandbox: Sandbox,
    data: bytes,
    profile: str = AUTO,
    limits: IngestLimits | None = None,
    vector_traces: bool = False,
) -> Preprocessed:
    """`preprocess` in a sandbox worker: a crash, hang or memory blow-up there is a Rejection.

    A grey canonical image (what the pipeline makes: traces on white) crosses the process
    boundary as one channel, a third of the 8.8 MB, and is widened back to RGB here.
    """
    result = sandbox.call(_preprocess_compact, data, profile, limits, vector_traces)
    canonical = result.layout.canonical
    if canonical.ndim == 2:
        layout = replace(result.layout, canonical=np.repeat(canonical[:, :, None], 3, axis=2))
        result = replace(result, layout=layout)
    return result


def _preprocess_compact(
    data: bytes, profile: str, limits: IngestLimits | None, vector_traces: bool
) -> Preprocessed:
    """`preprocess`, with the canonical image as one channel when its three are equal (in the
    sandbox worker)."""
    result = preprocess(data, profile, limits, vector_traces)
    canonical = result.layout.canonical
    grey = canonical[:, :, 0]
    if np.array_equal(grey, canonical[:, :, 1]) and np.array_equal(grey, canonical[:, :, 2]):
        result = replace(
            result, layout=replace(result.layout, canonical=np.ascontiguousarray(grey))
        )
    return result


def exact_signals(data: bytes, limits: IngestLimits | None = None) -> Signals:
    """The twelve signals of a waveform file or a vector PDF (mV, 500 Hz, 10 s).

    A waveform file is read without being drawn; a PDF is laid out and its traces read (NaN
    where a 3 x 4 printout does not show a lead). NO_SIGNALS for pictures (images, scanned
    PDFs) and PDFs whose traces cannot be calibrated; run it in a sandbox like `preprocess`.
    """
    kind = sniff_within(data, limits or IngestLimits())
    if kind in WAVEFORM_KINDS:
        return read_signals(data, kind)
    if kind == "pdf":
        signals = preprocess(data, AUTO, limits, vector_traces=True).signals
        if signals is not None:
            return signals
    raise Rejection(
        RejectCode.NO_SIGNALS,
        "This file holds a picture of an ECG, not its signals: upload a digital waveform file "
        "or the ECG machine's own (vector) PDF.",
    )
