"""Untrusted upload bytes -> one page image, within limits (run it in a `Sandbox`).

Public entry points: `sniff` / `sniff_within` (a file's kind from its bytes), `open_document`
(any accepted file -> the page to screen; a waveform file is drawn as one) and `read_signals`
(a waveform file of a kind in `WAVEFORM_KINDS` -> its twelve leads).
"""

from mtecg.ingest.digital import WAVEFORM_KINDS, read_signals
from mtecg.ingest.document import PageSource, open_document, sniff_within
from mtecg.ingest.limits import IngestLimits, SandboxLimits
from mtecg.ingest.sniff import sniff

__all__ = [
    "WAVEFORM_KINDS",
    "IngestLimits",
    "PageSource",
    "SandboxLimits",
    "open_document",
    "read_signals",
    "sniff",
    "sniff_within",
]
