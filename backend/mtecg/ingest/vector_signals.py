"""Exact signals from a vector PDF: the traces' own path coordinates, mapped to mV and seconds.

Machine-made PDFs (MUSE, CardioSoft, Schiller, dicom-ecg-plot, mtecg's own printouts) draw
each trace as a stroked path; reading the path (PyMuPDF's `get_cdrawings`) gives the signal at
the printer's precision, where the picture only gives it at the renderer's pixels. The layout
stage has already found the 3 x 4 block (`LayoutResult.panels`, at `px_per_mm`); each row's
1 mV calibration pulse gives its 0 mV line (the pulse's foot) and its gain (the pulse's
height), so no gain is assumed. Time is 25 mm/s from the start of each lead's trace.

A 3 x 4 printout shows each lead for 2.5 s only (column c: 2.5 c to 2.5 (c + 1) s); the other
samples are NaN. Pages that are rotated, not 3 x 4, without calibration pulses, or that draw a
row as one path across its four leads (dicom-ecg-plot does both) give None: a signal that
cannot be calibrated and cut into leads exactly is not exported.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from mtecg.geometry import COLUMNS_3X4, LEADS, PAPER_SPEED_MM_S, SEGMENT_S
from mtecg.ingest.pdf import PX_PER_PT
from mtecg.layout.result import LayoutResult
from mtecg.synth.signals import FS_HZ, N_SAMPLES, Signals

Points = npt.NDArray[np.float64]

#: A trace or pulse is drawn in a dark colour (black, navy); grids are light or saturated.
_MAX_CHANNEL: Final = 0.5
#: Paths with at least this many segments are traces; calibration pulses have 3-8.
_MIN_TRACE_SEGMENTS: Final = 20
_MAX_PULSE_SEGMENTS: Final = 8
#: How far (mm) before a panel's box its trace may start, and a pulse may lie.
_START_SLACK_MM: Final = 2.0
_PULSE_REACH_MM: Final = 12.0
#: Plausible calibration heights: 5, 10 or 20 mm/mV printers, within 20 %.
_GAIN_MM: Final = (4.0, 24.0)


def _points(path: dict[str, Any]) -> Points:
    """A path's line vertices in native (300 dpi) pixels; curves contribute their ends."""
    coords: list[tuple[float, float]] = []
    for item in path["items"]:
        if item[0] in ("l", "c"):
            coords.append(item[1])
            coords.append(item[-1])
    return np.asarray(coords, dtype=float).reshape(-1, 2) * PX_PER_PT


def _dark(path: dict[str, Any]) -> bool:
    colour = path.get("color")
    return path.get("type") in ("s", "fs") and colour is not None and max(colour) < _MAX_CHANNEL


def _pulse_for(
    row: tuple[float, float], block_x0: float, pulses: list[Points], ppm: float
) -> tuple[float, float] | None:
    """(foot y, pixels per mV) of the calibration pulse left of a row, if one is there."""
    y0, y1 = row
    for points in pulses:
        xs, ys = points[:, 0], points[:, 1]
        if not (block_x0 - _PULSE_REACH_MM * ppm <= xs.min() and xs.max() <= block_x0 + ppm):
            continue
        foot, top = float(ys.max()), float(ys.min())
        if y0 <= foot <= y1 and _GAIN_MM[0] * ppm <= foot - top <= _GAIN_MM[1] * ppm:
            return foot, foot - top
    return None


def _lead_samples(
    traces: list[Points], box: tuple[int, int, int, int], ppm: float
) -> Points | None:
    """The lead's trace as (x, y) vertices sorted by x, starting where its trace starts."""
    x0, y0, _, y1 = box
    chosen = [
        p
        for p in traces
        if x0 - _START_SLACK_MM * ppm <= p[0, 0] <= x0 + _START_SLACK_MM * ppm
        and y0 <= float(np.median(p[:, 1])) <= y1
    ]
    if len(chosen) != 1:
        return None
    points = chosen[0]
    return points[np.argsort(points[:, 0], kind="stable")]


def vector_signals(drawings: list[dict[str, Any]], layout: LayoutResult) -> Signals | None:
    """The twelve leads (mV, FS_HZ, NaN where the printout does not show a lead), or None."""
    if abs(layout.rotation_deg) > 0.05 or len(layout.panels) != 12:
        return None
    ppm = layout.px_per_mm
    dark = [(p, _points(p)) for p in drawings if _dark(p)]
    traces = [pts for p, pts in dark if len(p["items"]) >= _MIN_TRACE_SEGMENTS and len(pts)]
    pulses = [pts for p, pts in dark if 3 <= len(p["items"]) <= _MAX_PULSE_SEGMENTS]
    boxes = {panel.lead: panel.box for panel in layout.panels}
    block_x0 = min(box[0] for box in boxes.values())
    out = np.full((len(LEADS), N_SAMPLES), np.nan)
    segment = round(SEGMENT_S * FS_HZ)
    for c, leads in enumerate(COLUMNS_3X4):
        for lead in leads:
            box = boxes[lead]
            pulse = _pulse_for((box[1], box[3]), block_x0, pulses, ppm)
            points = _lead_samples(traces, box, ppm)
            if pulse is None or points is None:
                return None
            foot, px_per_mv = pulse
            start = points[0, 0]
            x = start + np.arange(segment) / FS_HZ * PAPER_SPEED_MM_S * ppm
            drawn = x <= points[-1, 0] + 1e-6
            y = np.interp(x[drawn], points[:, 0], points[:, 1])
            row = out[LEADS.index(lead)]
            row[c * segment : c * segment + int(drawn.sum())] = (foot - y) / px_per_mv
    return out
