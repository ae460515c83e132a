"""What the layout stage reads a page through, whatever the upload was."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from mtecg.ingest.raster import RGB, Clip, Word


@runtime_checkable
class PageSource(Protocol):
    """One page image, rendered on demand at any scale and clip.

    Coordinates are native pixels: a PDF page at 300 dpi, an image as stored (after EXIF
    rotation). `native_dpi` is 300 for PDF and None for images, whose dpi tags are unreliable
    (the layout stage measures scale from the ECG grid instead).
    """

    kind: str
    page_index: int
    width: int
    height: int
    native_dpi: float | None

    def render(self, scale: float = 1.0, clip: Clip | None = None) -> RGB:
        """RGB uint8 H x W x 3 of `clip` (x0, y0, x1, y1 native pixels; None = whole page)."""
        ...

    def text(self) -> str:
        """The page's text layer ('' for images)."""
        ...

    def words(self) -> list[Word]:
        """The text layer's words with their boxes in native pixels ([] for images)."""
        ...
