"""Separating what was printed from the paper, and traces from the grid, whatever the colours.

A trace is black or navy ink; a grid line, whatever its hue, is bright in its red or green
channel (red, orange, pink, magenta, green) or only lightly grey. So the darkness of the
brightest channel, relative to the local paper brightness, isolates traces without knowing
the grid colour; blue counts towards that brightness only as far as red and green do, so that
navy ink stays dark (ECG grids are never blue). The darkness of the *darkest* channel shows
everything printed. Normalising by a smooth paper estimate absorbs uneven light and tinted
paper.

A dark grid (navy, dark green, dark grey) is as dark as the trace in every channel, so colour
cannot separate it; its structure can. Grid lines are straight and run across the whole page,
many of them; a trace never runs straight for a quarter of the page. So when the dark ink
holds many such lines in both directions, they are taken out of the trace (and counted as
grid); pages without them are left exactly as colour separates them.
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


# A page shows a dark grid when its dark ink holds at least this many straight lines across
# a quarter of the page, in each direction (a 5 mm grid on a page has 30 or more).
_MIN_GRID_LINES = 8
_LINE_FRACTION = 0.25


@dataclass(frozen=True)
class InkMaps:
    """Per-pixel maps in [0, 1]: `trace` (dark in all channels) and `printed` (dark in any).

    `dark_grid`: the page's grid was dark enough to pass for trace and was taken out of
    `trace` by its straight lines; the panels then need the same (`trace_only`).
    """

    trace: FloatMap
    printed: FloatMap
    dark_grid: bool = False

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


def _line_count(lines: npt.NDArray[np.bool_], axis: int) -> int:
    """Separate straight lines in a map of line pixels (runs of occupied rows or columns)."""
    occupied = lines.any(axis=axis).astype(np.int8)
    return int((np.diff(occupied, prepend=0) == 1).sum())


def grid_line_counts(dark: npt.NDArray[np.bool_]) -> int:
    """Straight lines of dark ink across the image: the fewer of horizontal and vertical ones.

    A line is dark ink running unbroken across `_LINE_FRACTION` of the image; a trace
    crossing a line does not break it, and no trace runs straight that far.
    """
    h, w = dark.shape
    mask = dark.astype(np.uint8)
    horizontal = cv2.morphologyEx(
        mask, cv2.MORPH_OPEN, np.ones((1, max(3, round(w * _LINE_FRACTION))), np.uint8)
    )
    vertical = cv2.morphologyEx(
        mask, cv2.MORPH_OPEN, np.ones((max(3, round(h * _LINE_FRACTION)), 1), np.uint8)
    )
    return min(
        _line_count(np.asarray(horizontal, bool), 1), _line_count(np.asarray(vertical, bool), 0)
    )


def ink_maps(image: RGBImage) -> InkMaps:
    """Computes the trace and printed maps of an RGB image, a dark grid's lines not trace."""
    cmax = _channel_max(image)
    level = paper_level(cmax)
    trace = np.clip(1.0 - cmax / level, 0.0, 1.0).astype(np.float32)
    printed = np.clip(1.0 - _channel_min(image) / level, 0.0, 1.0).astype(np.float32)
    dark_grid = grid_line_counts(trace > TRACE_NONE) >= _MIN_GRID_LINES
    return InkMaps(trace=trace, printed=printed, dark_grid=dark_grid)


def grid_map(image: RGBImage) -> FloatMap:
    """`ink_maps(image).grid` alone: what straightening a photo measures its grid lines on,
    without the dark-grid test, whose long-line search costs more than the map itself."""
    cmax = _channel_max(image)
    level = paper_level(cmax)
    trace = 1.0 - cmax / level
    printed = np.clip(1.0 - _channel_min(image) / level, 0.0, 1.0)
    grid: FloatMap = np.where(trace < TRACE_BINARY, printed, 0.0).astype(np.float32)
    return grid


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
