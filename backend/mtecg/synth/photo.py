"""A phone photo of a flat printed page: perspective, in-plane rotation, desk, light, blur, JPEG.

The page is a plane tilted by `tilt_deg` about an axis at `tilt_axis_deg` and seen through a
pinhole camera (focal length about the image diagonal, as phone cameras have), turned by
`rotation_deg` in the image plane, on a darker desk. `homography` maps page pixels to photo
pixels, so the true panel boxes of the page can be carried into the photo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

RGBImage = npt.NDArray[np.uint8]
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Photo:
    """Camera settings; `Photo()` is a straight, flat, clean photo."""

    tilt_deg: float = 0.0
    tilt_axis_deg: float = 0.0
    rotation_deg: float = 0.0
    margin: float = 0.08  # desk around the page, as a fraction of the page's longer side
    shadow: float = 0.0  # 0-1: how much darker the shaded side is
    blur_sigma_px: float = 0.0
    jpeg_quality: int | None = None


def homography(photo: Photo, width: int, height: int) -> tuple[Matrix, tuple[int, int]]:
    """Page px -> photo px for a page of width x height, and the photo's (width, height)."""
    f = math.hypot(width, height)
    tilt, axis = math.radians(photo.tilt_deg), math.radians(photo.tilt_axis_deg)
    ux, uy = math.cos(axis), math.sin(axis)
    c, s = math.cos(tilt), math.sin(tilt)
    # Rodrigues rotation about the in-plane axis (ux, uy, 0).
    rot = np.array(
        [
            [c + ux * ux * (1 - c), ux * uy * (1 - c), uy * s],
            [ux * uy * (1 - c), c + uy * uy * (1 - c), -ux * s],
            [-uy * s, ux * s, c],
        ]
    )
    centre = np.array([[1, 0, -width / 2], [0, 1, -height / 2], [0, 0, 1.0]])
    # Page point (x, y, 0) -> camera (R [x, y, 0] + [0, 0, f]) -> image (f X / Z, f Y / Z).
    plane = np.column_stack([rot[:, 0], rot[:, 1], [0.0, 0.0, f]])
    project = np.diag([f, f, 1.0]) @ plane @ centre
    a = math.radians(photo.rotation_deg)
    spin = np.array([[math.cos(a), math.sin(a), 0], [-math.sin(a), math.cos(a), 0], [0, 0, 1.0]])
    matrix = spin @ project
    corners = np.array([[0, 0, 1], [width, 0, 1], [0, height, 1], [width, height, 1.0]]) @ matrix.T
    xy = corners[:, :2] / corners[:, 2:3]
    pad = photo.margin * max(width, height)
    shift = np.array([[1, 0, pad - xy[:, 0].min()], [0, 1, pad - xy[:, 1].min()], [0, 0, 1.0]])
    size = np.ceil(xy.max(axis=0) - xy.min(axis=0) + 2 * pad).astype(int)
    return shift @ matrix, (int(size[0]), int(size[1]))


def photograph(page: RGBImage, photo: Photo) -> tuple[RGBImage, Matrix]:
    """The photo of `page` and its homography (page px -> photo px)."""
    h, w = page.shape[:2]
    matrix, size = homography(photo, w, h)
    desk = (96, 84, 72)
    image = cv2.warpPerspective(page, matrix, size, flags=cv2.INTER_AREA, borderValue=desk)
    if photo.shadow > 0:
        ramp = np.linspace(1.0, 1.0 - photo.shadow, size[0], dtype=np.float32)
        image = (image * ramp[None, :, None]).astype(np.uint8)
    if photo.blur_sigma_px > 0:
        image = cv2.GaussianBlur(image, (0, 0), photo.blur_sigma_px)
    if photo.jpeg_quality is not None:
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, photo.jpeg_quality])
        decoded = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED) if ok else None
        if decoded is not None:
            image = decoded
    return np.asarray(image, dtype=np.uint8), matrix
