"""What the layout stage hands on: where the twelve leads are, and the canonical image."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Box = tuple[int, int, int, int]
RGBImage = npt.NDArray[np.uint8]
TimeWindows = Literal["exact", "approximate"]


@dataclass(frozen=True)
class Panel:
    """One lead's panel on the page, in pixels of the page image the layout was found on.

    `page` is the 1-based PDF page the panel lies on (None: the page that was opened, the only
    one for images). `start_s` is the time on the recording at the panel's left edge: the
    canonical window of a 3 x 4 printout, or the nearest one the page shows.
    """

    lead: str
    box: Box
    page: int | None = None
    start_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lead": self.lead, "box": list(self.box)}
        if self.page is not None:
            out["page"] = self.page
        if self.start_s is not None:
            out["start_s"] = self.start_s
        return out


@dataclass(frozen=True)
class LayoutResult:
    """A readable 12-lead page: the profile that read it, its geometry and the model's image.

    `px_per_mm` and `rotation_deg` describe the page as uploaded (after deskew the boxes are
    axis-aligned in the deskewed page, which has the same size as the input). `layout_name`
    says how the leads were printed (3x4, 6x2, 12x1, 6x1); `time_windows` is "approximate"
    when some lead's 3 x 4 window (e.g. V1 5-7.5 s on a 50 mm/s page showing 5 s) is not on
    the page and the nearest shown window was taken instead. `pages` are the 1-based PDF
    pages the leads were read from (empty: the opened page only). `labels_checked` says
    whether printed lead labels (a PDF's text layer, or OCR on a raster page) confirmed the
    panels.
    """

    profile: str
    px_per_mm: float
    rotation_deg: float
    panels: tuple[Panel, ...]
    canonical: RGBImage = field(repr=False)
    rhythm_strips: int = 0
    #: For a photo that was straightened first (see `mtecg.layout.rectify`): `perspective`,
    #: `rotation_deg`, `residual_deg` (quality: 0 is perfect) and `homography` (rectified page
    #: px -> photo px, which the boxes are in); None for pages read as they are.
    rectification: dict[str, Any] | None = None
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)
    layout_name: str = "3x4"
    time_windows: TimeWindows = "exact"
    paper_speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    pages: tuple[int, ...] = ()
    labels_checked: bool = False
