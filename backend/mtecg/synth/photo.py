"""A phone photo of a printed page: perspective, rotation, curl, creases, desk, light, moiré, JPEG.

The page is a plane tilted by `tilt_deg` about an axis at `tilt_axis_deg` and seen through a
pinhole camera (focal length about the image diagonal, as phone cameras have), turned by
`rotation_deg` in the image plane, on a darker desk. Before that the paper may be bent (`curl`:
a smooth bow that bends straight grid lines, so no homography straightens it exactly) and
creased (thin dark and light lines that follow the paper). Moiré (a faint beat of two fine
gratings, as a camera sampling a fine pattern shows) and a shadow are laid over the photo.

`homography` maps page pixels to photo pixels for the flat page; `page_to_photo` and
`photo_to_page` map points through the whole camera including the curl, so the true panel
boxes of the page can be carried into the photo and detected boxes back onto the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

RGBImage = npt.NDArray[np.uint8]
Matrix = npt.NDArray[np.float64]
Points = npt.NDArray[np.float64]

#: Default tilt limit: the perspective the issue asks phone photos to be read at.
MAX_TILT_DEG = 30.0
_DESK = (96, 84, 72)


@dataclass(frozen=True)
class Photo:
    """Camera and paper settings; `Photo()` is a straight, flat, clean photo.

    `curl` is the bow of the page as a fraction of its height: the middle column is displaced
    down by that much relative to the left and right edges (0.004 of an A4 landscape page is
    about 0.8 mm). `creases` thin lines of contrast `crease_strength` and `moire` the depth
    (0-1) of the interference pattern are placed from `pattern_seed`.
    """

    tilt_deg: float = 0.0
    tilt_axis_deg: float = 0.0
    rotation_deg: float = 0.0
    margin: float = 0.08  # desk around the page, as a fraction of the page's longer side
    shadow: float = 0.0  # 0-1: how much darker the shaded side is
    blur_sigma_px: float = 0.0
    jpeg_quality: int | None = None
    curl: float = 0.0
    creases: int = 0
    crease_strength: float = 0.25
    moire: float = 0.0
    pattern_seed: int = 0


def draw_photo(rng: np.random.Generator, max_tilt_deg: float = MAX_TILT_DEG) -> Photo:
    """Random phone-photo settings: tilt up to 30 deg in any direction, a near-upright hold
    (+-8 deg), mild curl, 0-2 creases, faint moiré on a third of photos, shadow, blur, JPEG."""
    return Photo(
        tilt_deg=round(float(rng.uniform(0.0, max_tilt_deg)), 2),
        tilt_axis_deg=round(float(rng.uniform(0.0, 360.0)), 1),
        rotation_deg=round(float(rng.uniform(-8.0, 8.0)), 2),
        margin=float(rng.uniform(0.03, 0.12)),
        shadow=float(rng.uniform(0.0, 0.35)),
        blur_sigma_px=float(rng.uniform(0.0, 1.0)),
        jpeg_quality=int(rng.integers(60, 93)),
        curl=round(float(rng.uniform(0.0, 0.004)), 5),
        creases=int(rng.integers(0, 3)),
        crease_strength=float(rng.uniform(0.1, 0.3)),
        moire=float(rng.uniform(0.02, 0.06)) if rng.random() < 1 / 3 else 0.0,
        pattern_seed=int(rng.integers(0, 2**31)),
    )


def homography(photo: Photo, width: int, height: int) -> tuple[Matrix, tuple[int, int]]:
    """Page px -> photo px for a flat page of width x height, and the photo's (width, height)."""
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


def _bow(photo: Photo, x: Points, width: int, height: int) -> Points:
    """The curl's downward displacement (px) of page column x: a parabola, 0 at both edges."""
    u = 2.0 * x / width - 1.0
    bow: Points = photo.curl * height * (1.0 - u * u)
    return bow


def _project(matrix: Matrix, points: Points) -> Points:
    mapped = np.hstack([points, np.ones((len(points), 1))]) @ matrix.T
    result: Points = mapped[:, :2] / mapped[:, 2:]
    return result


def page_to_photo(photo: Photo, size: tuple[int, int], points: npt.ArrayLike) -> Points:
    """Page px (N x 2) of a width x height page -> photo px, through curl and camera."""
    width, height = size
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2).copy()
    xy[:, 1] += _bow(photo, xy[:, 0], width, height)
    return _project(homography(photo, width, height)[0], xy)


def photo_to_page(photo: Photo, size: tuple[int, int], points: npt.ArrayLike) -> Points:
    """Photo px (N x 2) -> page px: the exact inverse of `page_to_photo` (the curl moves
    points along y only, by an amount that depends on x alone)."""
    width, height = size
    to_photo = homography(photo, width, height)[0]
    xy = _project(
        np.linalg.inv(to_photo).astype(np.float64),
        np.asarray(points, dtype=np.float64).reshape(-1, 2),
    )
    xy[:, 1] -= _bow(photo, xy[:, 0], width, height)
    return xy


def _creases(page: RGBImage, photo: Photo, rng: np.random.Generator) -> RGBImage:
    """Thin fold lines across the paper: a dark line with a light one beside it."""
    h, w = page.shape[:2]
    gain = np.ones((h, w), dtype=np.float32)
    for _ in range(photo.creases):
        angle = rng.uniform(0.0, math.pi)
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        dx, dy = math.cos(angle) * 2 * (w + h), math.sin(angle) * 2 * (w + h)
        nx, ny = -math.sin(angle) * 2, math.cos(angle) * 2
        ends = [(cx - dx, cy - dy), (cx + dx, cy + dy)]
        dark = [(round(x), round(y)) for x, y in ends]
        light = [(round(x + nx), round(y + ny)) for x, y in ends]
        cv2.line(gain, dark[0], dark[1], 1.0 - photo.crease_strength, 2, cv2.LINE_AA)
        cv2.line(gain, light[0], light[1], 1.0 + photo.crease_strength / 2, 1, cv2.LINE_AA)
    return np.asarray(np.clip(page * gain[:, :, None], 0, 255), dtype=np.uint8)


def _moire(
    size: tuple[int, int], depth: float, rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    """A gain field 1 - depth * (two fine gratings at nearly the same period and angle): their
    product beats into broad bands, as a camera sampling a fine print pattern shows."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    field = np.ones((h, w), dtype=np.float32)
    period = rng.uniform(2.5, 4.0)
    angle = rng.uniform(0.0, math.pi)
    for k in range(2):
        a = angle + k * rng.uniform(0.01, 0.04)
        p = period * (1.0 + k * rng.uniform(0.01, 0.03))
        phase = (x * math.cos(a) + y * math.sin(a)) * (2 * math.pi / p)
        field *= 0.5 + 0.5 * np.cos(phase)
    gain: npt.NDArray[np.float32] = 1.0 - depth * field
    return gain


def _warp(page: RGBImage, photo: Photo, matrix: Matrix, size: tuple[int, int]) -> RGBImage:
    """The page seen by the camera; with curl, every photo pixel is traced back through the
    homography and the bow (a remap), as no single homography describes a bent page."""
    if photo.curl == 0:
        warped = cv2.warpPerspective(page, matrix, size, flags=cv2.INTER_AREA, borderValue=_DESK)
        return np.asarray(warped, dtype=np.uint8)
    h, w = page.shape[:2]
    ys, xs = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
    flat = cv2.perspectiveTransform(
        np.dstack([xs, ys]).reshape(-1, 1, 2), np.linalg.inv(matrix)
    ).reshape(size[1], size[0], 2)
    map_x = flat[:, :, 0]
    u = 2.0 * map_x / w - 1.0
    map_y = flat[:, :, 1] - np.float32(photo.curl * h) * (1.0 - u * u)
    warped = cv2.remap(page, map_x, map_y.astype(np.float32), cv2.INTER_LINEAR, borderValue=_DESK)
    return np.asarray(warped, dtype=np.uint8)


def photograph(page: RGBImage, photo: Photo) -> tuple[RGBImage, Matrix]:
    """The photo of `page` and its flat-page homography (page px -> photo px)."""
    h, w = page.shape[:2]
    rng = np.random.default_rng(photo.pattern_seed)
    matrix, size = homography(photo, w, h)
    if photo.creases:
        page = _creases(page, photo, rng)
    image = _warp(page, photo, matrix, size)
    if photo.shadow > 0:
        ramp = np.linspace(1.0, 1.0 - photo.shadow, size[0], dtype=np.float32)
        image = (image * ramp[None, :, None]).astype(np.uint8)
    if photo.moire > 0:
        image = (image * _moire(size, photo.moire, rng)[:, :, None]).astype(np.uint8)
    if photo.blur_sigma_px > 0:
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), photo.blur_sigma_px), dtype=np.uint8)
    if photo.jpeg_quality is not None:
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, photo.jpeg_quality])
        decoded = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED) if ok else None
        if decoded is not None:
            image = np.asarray(decoded, dtype=np.uint8)
    return np.asarray(image, dtype=np.uint8), matrix
