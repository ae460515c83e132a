"""Separating what was printed from the paper, and traces from the grid, whatever the colours.

A trace is black or navy ink; a grid line, whatever its hue, is bright in its red or green
channel (red, orange, pink, magenta, green) or only lightly grey. So the darkness of the
brightest channel, relative to the local paper brightness, isolates traces without knowing
the grid colour; blue counts towards that brightness only as far as red and green do, so that
navy ink stays dark (ECG grids are never blue). The darkness of the *darkest* channel shows
everything printed. Normalising by a smooth paper estimate absorbs uneven light and tinted
paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from mtecg.layout.result import RGBImage

FloatMap = npt.NDArray[np.float32]

# Ink darkness (1 - brightest channel / paper) at which a pixel starts to count as trace, and
# at which it is fully trace; grid lines of any colour stay below the first.
TRACE_NONE = 0.30
TRACE_FULL = 0.55
TRACE_BINARY = 0.45


@dataclass(frozen=True)
class InkMaps:
    """Per-pixel maps in [0, 1]: `trace` (dark in all channels) and `printed` (dark in any)."""

    trace: FloatMap
    printed: FloatMap

    @property
    def grid(self) -> FloatMap:
        """Printed but not trace: the grid (coloured or grey), stamps and coloured text."""
        grid: FloatMap = np.where(self.trace < TRACE_BINARY, self.printed, 0.0).astype(np.float32)
        return grid


# How much brighter than the red/green mean the blue channel may count (navy vs black ink).
_BLUE_ALLOWANCE = 40


def _channel_max(image: RGBImage) -> npt.NDArray[np.uint8]:
    """Brightness of the brightest channel, blue capped near the red/green mean."""
    red, green, blue = image[:, :, 0], image[:, :, 1], image[:, :, 2]
    blue_cap = cv2.addWeighted(red, 0.5, green, 0.5, _BLUE_ALLOWANCE)
    return np.asarray(cv2.max(cv2.max(red, green), cv2.min(blue, blue_cap)))


def _channel_min(image: RGBImage) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.min(cv2.min(image[:, :, 0], image[:, :, 1]), image[:, :, 2]))


def paper_level(channel_max: npt.NDArray[np.uint8]) -> FloatMap:
    """Smooth estimate of the local paper brightness (a wide max filter, then blurred).

    Works on a reduced copy so that its cost does not grow with the page resolution.
    """
    h, w = channel_max.shape
    factor = max(1, round(max(h, w) / 256))
    small = cv2.resize(
        channel_max, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA
    )
    small = cv2.dilate(small, np.ones((7, 7), np.uint8)).astype(np.float32)
    small = cv2.GaussianBlur(small, (0, 0), 3)
    level = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.maximum(level, 32.0).astype(np.float32)


def ink_maps(image: RGBImage) -> InkMaps:
    """Computes the trace and printed maps of an RGB image."""
    cmax = _channel_max(image)
    level = paper_level(cmax)
    trace = np.clip(1.0 - cmax / level, 0.0, 1.0).astype(np.float32)
    printed = np.clip(1.0 - _channel_min(image) / level, 0.0, 1.0).astype(np.float32)
    return InkMaps(trace=trace, printed=printed)


def trace_only(image: RGBImage) -> RGBImage:
    """The image with paper and grid painted white and traces kept as dark grey levels.

    One paper level per image (its bright percentile) keeps this a table look-up, which is
    what makes it cheap enough to run on every 300-dpi panel; panels are small enough that
    uneven light across one barely matters.
    """
    cmax = _channel_max(image)
    paper = max(float(np.percentile(cmax[::4, ::4], 90)), 32.0)
    darkness = 1.0 - np.arange(256, dtype=np.float32) / paper
    strength = np.clip((darkness - TRACE_NONE) / (TRACE_FULL - TRACE_NONE), 0.0, 1.0)
    table = np.round(255.0 * (1.0 - strength)).astype(np.uint8)
    grey = cv2.LUT(cmax, table)
    return np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB))
