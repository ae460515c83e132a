"""Raster "scans" of a printout: render at some dpi, then scanner and camera artefacts.

Rotation is about the image centre and keeps the canvas size (corners filled white), so the
true panel boxes stay valid in the unrotated frame: turning the image back by the recorded
angle about the same centre puts every panel where its box says. The angle follows the layout
detector's convention: positive = counter-clockwise as seen, undone by
`cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import pymupdf

from mtecg.geometry import MM_PER_INCH

RGBImage = npt.NDArray[np.uint8]
MAX_ROTATION_DEG = 10.0
_NOISE_TILE = 509  # a prime, so the tiled noise pattern does not line up with the 1 mm grid


@dataclass(frozen=True)
class Scan:
    """Scan settings and artefact strengths; `Scan(dpi)` alone is a clean, straight rendering.

    `light_falloff` is how much darker (0-1) the far side of the page is than the near one,
    along `light_angle_deg`; `tint` multiplies the channels (yellowed or grey paper).
    """

    dpi: int
    rotation_deg: float = 0.0
    blur_sigma_px: float = 0.0
    noise_sigma: float = 0.0
    jpeg_quality: int | None = None
    light_falloff: float = 0.0
    light_angle_deg: float = 0.0
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)

    @property
    def px_per_mm(self) -> float:
        return self.dpi / MM_PER_INCH


def draw_scan(rng: np.random.Generator) -> Scan:
    """Random scan settings: 150-300 dpi, up to +-10 deg, blur, noise, JPEG, uneven light."""
    return Scan(
        dpi=int(rng.integers(150, 301)),
        rotation_deg=round(float(rng.uniform(-MAX_ROTATION_DEG, MAX_ROTATION_DEG)), 2),
        blur_sigma_px=float(rng.uniform(0.0, 1.2)),
        noise_sigma=float(rng.uniform(0.0, 6.0)),
        jpeg_quality=int(rng.integers(35, 91)) if rng.random() < 0.7 else None,
        light_falloff=float(rng.uniform(0.0, 0.35)),
        light_angle_deg=float(rng.uniform(0.0, 360.0)),
        tint=(1.0, float(rng.uniform(0.95, 1.0)), float(rng.uniform(0.88, 1.0))),
    )


def render(page: pymupdf.Page, dpi: int) -> RGBImage:
    """The page rendered at `dpi`, RGB without alpha."""
    pix = page.get_pixmap(dpi=dpi, alpha=False)
    return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, 3).copy()


def _rotate(image: RGBImage, angle_deg: float) -> RGBImage:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    return np.asarray(
        cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    )


def _light(image: RGBImage, scan: Scan) -> RGBImage:
    """A smooth brightness ramp across the page, times the paper tint.

    The gain is computed on a coarse grid and resized (it is linear, so nothing is lost) and
    applied as 8-bit arithmetic: a float image of a 300-dpi page would cost ten times more.
    """
    h, w = image.shape[:2]
    sh, sw = max(2, h // 16), max(2, w // 16)
    theta = np.deg2rad(scan.light_angle_deg)
    x = np.linspace(-0.5, 0.5, sw) * np.cos(theta)
    y = np.linspace(-0.5, 0.5, sh) * np.sin(theta)
    ramp = 1.0 - scan.light_falloff * (0.5 + x[None, :] + y[:, None])
    small = np.round(255.0 * ramp[:, :, None] * np.array(scan.tint)).astype(np.uint8)
    gain = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(cv2.multiply(image, gain, scale=1.0 / 255.0))


def _noise(image: RGBImage, sigma: float, rng: np.random.Generator) -> RGBImage:
    """Sensor noise from a tiled random pattern: as grainy as per-pixel noise, far cheaper."""
    h, w = image.shape[:2]
    tile = rng.normal(0.0, sigma, (_NOISE_TILE, _NOISE_TILE, 3)).astype(np.float32)
    reps = (-(-h // _NOISE_TILE), -(-w // _NOISE_TILE), 1)
    field = np.tile(tile, reps)[:h, :w]
    return np.asarray(cv2.add(image, field, dtype=cv2.CV_8U))


def _jpeg(image: RGBImage, quality: int) -> RGBImage:
    """A JPEG round trip (in BGR order, so luma and chroma are computed as a camera would)."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG decoding failed")
    return np.asarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def scan_page(page: pymupdf.Page, scan: Scan, rng: np.random.Generator) -> RGBImage:
    """Renders the page and applies the scan's artefacts in the order a scanner would."""
    image = render(page, scan.dpi)
    if scan.rotation_deg:
        image = _rotate(image, scan.rotation_deg)
    if scan.light_falloff or scan.tint != (1.0, 1.0, 1.0):
        image = _light(image, scan)
    if scan.blur_sigma_px > 0.05:
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), scan.blur_sigma_px))
    if scan.noise_sigma > 0.05:
        image = _noise(image, scan.noise_sigma, rng)
    if scan.jpeg_quality is not None:
        image = _jpeg(image, scan.jpeg_quality)
    return image


def png_bytes(image: RGBImage) -> bytes:
    """Lossless PNG of an RGB image.

    Fast settings (level 1, run-length strategy): a noisy scan hardly compresses whatever the
    level, and level 3 takes half a second on a 300-dpi page; RLE is both faster and smaller here.
    """
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    params = [
        cv2.IMWRITE_PNG_COMPRESSION,
        1,
        cv2.IMWRITE_PNG_STRATEGY,
        cv2.IMWRITE_PNG_STRATEGY_RLE,
    ]
    ok, buf = cv2.imencode(".png", bgr, params)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return bytes(buf.tobytes())
