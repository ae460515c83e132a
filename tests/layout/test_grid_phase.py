"""The grid lattice fit: a drawn grid seen through a known small homography is mapped back onto
a square lattice, and a page without a grid gives no fit."""

from __future__ import annotations

import cv2
import numpy as np

from mtecg.layout.grid_phase import fit_lattice

PERIOD = 12.0


def _grid_map(size: tuple[int, int], distortion: np.ndarray) -> np.ndarray:
    """A grid map (lines every PERIOD px, 1 px wide) seen through `distortion` (lattice ->
    image px), as the ink maps give it: float darkness in 0..1."""
    w, h = size
    lattice = np.zeros((h, w), np.float32)
    for k in range(0, max(w, h), int(PERIOD)):
        lattice[:, k : k + 1] = 1.0
        lattice[k : k + 1, :] = 1.0
    lattice = cv2.GaussianBlur(lattice, (0, 0), 0.7)
    return np.asarray(cv2.warpPerspective(lattice, distortion, size), np.float32)


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    mapped = np.hstack([points, np.ones((len(points), 1))]) @ matrix.T
    return mapped[:, :2] / mapped[:, 2:]


def test_a_grid_seen_in_slight_perspective_is_put_back_on_its_lattice() -> None:
    size = (900, 640)
    # 3 % taller squares, a slight shear and a perspective that shrinks the right side by 4 %.
    distortion = np.array([[1.0, 0.01, 3.0], [0.004, 1.03, -2.0], [4.5e-5, 1.0e-5, 1.0]])
    fit = fit_lattice(_grid_map(size, distortion), PERIOD)
    assert fit is not None
    assert fit.residual_px < 0.5
    # Lattice points seen in the image go back onto a lattice (up to a shift of the lattice).
    ij = np.array([[i, j] for i in range(8, 66, 6) for j in range(6, 45, 6)], float) * PERIOD
    back = _apply(fit.correction, _apply(distortion, ij))
    shift = np.median(back - ij, axis=0)
    assert np.abs(back - ij - shift).max() < 0.6  # px: 0.05 of a grid period
    assert np.abs(shift).max() < PERIOD


def test_a_page_without_a_grid_gives_no_lattice() -> None:
    blank = np.zeros((640, 900), np.float32)
    assert fit_lattice(blank, PERIOD) is None
