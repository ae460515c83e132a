"""Caps on what an upload may cost, and on what the sandbox worker may spend on it.

Every cap is checked against something cheap to read (the byte count, an image header, the PDF
cross-reference table, a page box, the size of content streams) so a hostile file is refused
before the expensive step it is trying to abuse. The sandbox limits are the backstop for
whatever those checks cannot predict.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IngestLimits:
    """What one upload may declare before it is refused.

    The defaults admit any real ECG printout with a wide margin (the samples have at most
    230 KB of page content, 74 PDF objects and 9 MP) while keeping the worst a file can make a
    worker do to a few hundred MB and a couple of seconds.
    """

    #: Upload size. The API enforces the same number on the request body.
    max_bytes: int = 20 * 2**20
    #: Decoded image pixels, or page pixels at 300 dpi (A4 is 8.7 MP; 40 MP is about A2).
    max_pixels: int = 40_000_000
    #: Longest side in pixels: keeps degenerate strips (1 x 40 M) out of OpenCV and layout.
    max_side: int = 20_000
    #: Pages in a PDF. ECG exports are one page, or spread the leads over two or three (6 x 1
    #: limb leads, then chest leads, then extra leads) with report pages around them.
    max_pdf_pages: int = 6
    #: Entries in the PDF cross-reference table (the sample exports have fewer than 100).
    max_pdf_objects: int = 100_000
    #: Decoded content-stream bytes one page expands to, counting each form XObject or tiling
    #: pattern once per use. Vector ECG pages have 0.1-0.3 MB; the cap is about 100 x that.
    max_content_bytes: int = 32 * 2**20
    #: Form XObject / tiling pattern nesting (a form drawing a form drawing ...).
    max_form_depth: int = 10


@dataclass(frozen=True)
class SandboxLimits:
    """Resource caps for one sandbox worker process.

    `memory_bytes` is RLIMIT_AS, i.e. virtual address space. Measured: an idle worker (NumPy,
    Pillow, OpenCV, PyMuPDF and the layout stage's SciPy, one thread each) maps 0.6 GB;
    decoding a 40 MP RGBA PNG (the pixel cap) peaks at 1.1 GB, and layout detection on a
    39 MP scan at 1.0 GB. 1.5 GiB leaves headroom without letting one job take the host down.
    """

    memory_bytes: int = 3 * 2**29  # 1.5 GiB
    #: CPU seconds one job may use; the kernel sends SIGXCPU when it is spent.
    cpu_seconds: float = 15.0
    #: Wall-clock seconds one job may take (catches jobs that hang without using CPU).
    timeout_s: float = 20.0
    #: Wall-clock seconds the worker template may take to import its libraries, and then a
    #: forked worker to report ready.
    startup_timeout_s: float = 30.0
    #: Largest reply the parent accepts (an A4 page at 300 dpi is 26 MB of RGB).
    max_result_bytes: int = 256 * 2**20


#: The defaults, as module-level values for use as argument defaults.
DEFAULT_INGEST_LIMITS = IngestLimits()
DEFAULT_SANDBOX_LIMITS = SandboxLimits()
