"""Where a nearly straightened page's grid lines really are: the local phase of the grid.

Vanishing points found from a few dozen Hough segments leave the page up to 2 mm out of true
at its edges (a homography is fixed by eight numbers, and an error in the horizon bends the
scale across the page), and the aspect read from two grid periods can be off by percents.
The grid itself says where every point belongs: its major lines lie on a square lattice of
one period. Demodulating the grid map at that period (multiplying by exp(-2 pi i x / p) and
averaging over cells one period wide) gives, in every cell, the offset of the nearest vertical
line from the lattice, and likewise for horizontal lines. Unwrapped from the middle of the
page outwards, these offsets are the displacement that takes the page onto a true lattice;
the homography that best removes it is the refined rectification. The fit's leftover (page
curl, which no homography removes, and measurement noise) is its quality figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from mtecg.layout.ink import FloatMap

Matrix = npt.NDArray[np.float64]

#: A cell must carry at least this fraction of the median cell's grid signal to be used
#: (desk, blank margins and dense trace carry none).
_MIN_WEIGHT = 0.35
#: Unwrapping grows from the page centre in these steps (fractions of the half diagonal):
#: within each, the displacement left unexplained by the fit so far is well under half a
#: period, so no cell is assigned to the wrong line.
_RADII = (0.3, 0.55, 0.8, 1.01)
_MIN_CELLS = 24
#: Cells whose line offset misses the fitted homography by over 3 median misses (and this
#: many px) are dropped and the fit repeated: a cell on a trace or label slips a whole line.
_MIN_TRIM_PX = 0.5
_TRIM_ROUNDS = 3
#: The smallest carrier period (px) whose phase is still measured to a fraction of a pixel.
MIN_CARRIER_PX = 8.0


@dataclass(frozen=True)
class GridFit:
    """`correction` maps the page's px onto the true lattice (a homography near identity);
    `residual_px` is the RMS displacement the homography leaves (curl and noise)."""

    correction: Matrix
    residual_px: float
    cells: int


def _demodulate(grid: FloatMap, period: float, axis: int) -> npt.NDArray[np.complex128]:
    """Per cell (one period square), the grid's complex amplitude at `period` along `axis`."""
    h, w = grid.shape
    coord = np.arange(w if axis == 1 else h, dtype=np.float32) * np.float32(2 * np.pi / period)
    phase = coord[None, :] if axis == 1 else coord[:, None]
    size = (max(1, round(w / period)), max(1, round(h / period)))
    real = cv2.resize(grid * np.cos(phase), size, interpolation=cv2.INTER_AREA)
    imag = cv2.resize(grid * -np.sin(phase), size, interpolation=cv2.INTER_AREA)
    real = cv2.GaussianBlur(real, (5, 5), 1.0)
    imag = cv2.GaussianBlur(imag, (5, 5), 1.0)
    return np.asarray(real, np.float64) + 1j * np.asarray(imag, np.float64)


def _solve(
    system: Matrix, target: npt.NDArray[np.float64], weight: npt.NDArray[np.float64]
) -> Matrix:
    """Weighted least squares through the normal equations: the systems are thousands of
    rows by at most eight columns, where a full SVD (`lstsq`) costs far more."""
    weighted = system * weight[:, None]
    solution: Matrix = np.linalg.solve(weighted.T @ system, weighted.T @ target).astype(np.float64)
    return solution


def _wrap(values: npt.NDArray[np.float64], period: float) -> npt.NDArray[np.float64]:
    wrapped: npt.NDArray[np.float64] = (values + period / 2) % period - period / 2
    return wrapped


def _design(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> Matrix:
    """Quadratic terms: enough to follow a homography's small deviation and a page's bow."""
    design: Matrix = np.column_stack([np.ones_like(x), x, y, x * x, x * y, y * y])
    return design


def _unwrapped(
    z: npt.NDArray[np.complex128], period: float, xy: Matrix, scale: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]] | None:
    """Line offsets (px) of the usable cells, made continuous outwards from the centre.

    The mean phase step between neighbouring cells gives the offsets' overall slope (the
    lattice's scale and turn as seen), so the unwrapping starts from a plane, not a constant:
    a page a few percent out of scale drifts by a whole period within a few cells.
    """
    weight = np.abs(z).ravel()
    if not weight.any():
        return None
    usable = weight > _MIN_WEIGHT * float(np.median(weight[weight > 0]))
    if usable.sum() < _MIN_CELLS:
        return None
    rows, cols = z.shape
    cell_x, cell_y = xy[1, 0] - xy[0, 0], xy[cols, 1] - xy[0, 1] if rows > 1 else 1.0
    step_x = float(np.angle(np.sum(z[:, 1:] * np.conj(z[:, :-1]))))
    step_y = float(np.angle(np.sum(z[1:, :] * np.conj(z[:-1, :]))))
    to_px = -period / (2 * np.pi)
    centre = xy.mean(axis=0)
    slope = np.array([step_x / cell_x, step_y / cell_y]) * to_px
    plane = (xy - centre) @ slope
    near = usable & (np.hypot(*(xy - centre).T) <= _RADII[0] * np.hypot(*centre))
    if near.sum() < _MIN_CELLS // 2:
        return None
    # The centre's own phase, with the slope taken out (a translation of the lattice, free).
    flat = z.ravel() * np.exp(-1j * plane / to_px)
    predicted = plane + float(np.angle(np.sum(flat[near]))) * to_px
    offset = np.angle(z).ravel() * to_px
    radius = np.hypot(*(xy - centre).T) / np.hypot(*centre)
    design = _design(*((xy - centre).T / scale))
    for limit in _RADII:
        active = usable & (radius <= limit)
        unwrapped = predicted + _wrap(offset - predicted, period)
        terms = 3 if limit == _RADII[0] else design.shape[1]
        coef = _solve(design[active, :terms], unwrapped[active], weight[active] ** 2)
        predicted = design[:, :terms] @ coef
    return predicted + _wrap(offset - predicted, period), usable


def fit_lattice(grid: FloatMap, period: float) -> GridFit | None:
    """The homography taking the page's grid onto a square lattice of `period` px, or None
    when too little grid is visible to measure it."""
    if period < MIN_CARRIER_PX:
        return None
    zx, zy = _demodulate(grid, period, axis=1), _demodulate(grid, period, axis=0)
    rows, cols = zx.shape
    sx, sy = grid.shape[1] / cols, grid.shape[0] / rows
    gy, gx = np.mgrid[0:rows, 0:cols]
    xy = np.column_stack([(gx.ravel() + 0.5) * sx, (gy.ravel() + 0.5) * sy])
    scale = float(max(grid.shape))
    across, down = _unwrapped(zx, period, xy, scale), _unwrapped(zy, period, xy, scale)
    if across is None or down is None:
        return None
    (dx, use_x), (dy, use_y) = across, down
    # x - dx and y - dy lie on the lattice; the homography (h0..h7, h8 = 1) from page px to
    # lattice px is found linearly: u (h6 x + h7 y + 1) = h0 x + h1 y + h2, and so for v.
    x, y = xy[:, 0] / scale, xy[:, 1] / scale
    u, v = (xy[:, 0] - dx) / scale, (xy[:, 1] - dy) / scale
    zero, one = np.zeros_like(x), np.ones_like(x)
    rows_u = np.column_stack([x, y, one, zero, zero, zero, -u * x, -u * y])
    rows_v = np.column_stack([zero, zero, zero, x, y, one, -v * x, -v * y])
    system = np.vstack([rows_u[use_x], rows_v[use_y]])
    target = np.concatenate([u[use_x], v[use_y]])
    weight = np.sqrt(np.concatenate([np.abs(zx).ravel()[use_x], np.abs(zy).ravel()[use_y]]))
    keep = np.ones(len(target), dtype=bool)
    for _ in range(_TRIM_ROUNDS):
        h = _solve(system[keep], target[keep], weight[keep] ** 2)
        miss = np.abs(system @ h - target) * scale
        keep = miss <= max(_MIN_TRIM_PX, 3.0 * float(np.median(miss[keep])))
    normalised = np.append(h, 1.0).reshape(3, 3)
    to_unit = np.diag([1 / scale, 1 / scale, 1.0])
    correction: Matrix = np.linalg.inv(to_unit) @ normalised @ to_unit
    residual = float(np.sqrt(np.mean(miss[keep] ** 2)))
    return GridFit(correction, residual, int(keep.sum()))
