"""What the layout stage hands on: where the twelve leads are, and the canonical image."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Box = tuple[int, int, int, int]
RGBImage = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Panel:
    """One lead's panel on the page, in pixels of the page image the layout was found on."""

    lead: str
    box: Box

    def to_json(self) -> dict[str, Any]:
        return {"lead": self.lead, "box": list(self.box)}


@dataclass(frozen=True)
class LayoutResult:
    """A readable 12-lead page: the profile that read it, its geometry and the model's image.

    `px_per_mm` and `rotation_deg` describe the page as uploaded (after deskew the boxes are
    axis-aligned in the deskewed page, which has the same size as the input).
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
