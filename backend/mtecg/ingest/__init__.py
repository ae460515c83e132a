"""Untrusted upload bytes -> one page image, within limits (run it in a `Sandbox`)."""

from mtecg.ingest.document import PageSource, open_document
from mtecg.ingest.limits import IngestLimits, SandboxLimits
from mtecg.ingest.sniff import sniff

__all__ = ["IngestLimits", "PageSource", "SandboxLimits", "open_document", "sniff"]
