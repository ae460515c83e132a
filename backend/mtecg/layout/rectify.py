"""Perspective and rotation of a photographed printout, undone from the grid's own lines.

A phone photo of ECG paper shows the grid as two families of straight lines that converge
towards two vanishing points. Mapping both vanishing points back to infinity (a homography),
turning the families onto the image axes and making the grid squares square again gives a
fronto-parallel page, which the 3 x 4 layout detection then reads as it reads a scan.

The photo is looked at only at low resolution (the checks of the straightened page warp that
overview, not the photo again); the rectified page is a `PageSource` that warps the photo on
demand at whatever scale and clip layout detection asks for, so only the regions read are
resampled. Scans and PDFs (no perspective, little rotation) are passed through
unchanged: rectification is used only where it corrects something.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from mtecg.errors import Reason, RejectCode, Rejection
from mtecg.ingest.image import ImagePage
from mtecg.ingest.limits import DEFAULT_INGEST_LIMITS
from mtecg.ingest.page import PageSource
from mtecg.ingest.raster import RGB, Clip, Word, clip_box, output_size
from mtecg.layout.deskew import MAX_ANGLE_DEG
from mtecg.layout.grid_phase import MIN_CARRIER_PX, fit_lattice
from mtecg.layout.ink import grid_map
from mtecg.layout.scale import grid_periods

Matrix = npt.NDArray[np.float64]

_OVERVIEW_MAX_SIDE = 1000
_REFINE_MAX_SIDE = 2000
#: Only the darkest 5 % of the grid map is searched for lines: mostly the 5 mm lines. Hough
#: time grows with the pixels searched, and on a dense 1 mm grid a third of the page is grid.
_GRID_PERCENTILE = 95.0
_MIN_GRID_LEVEL = 0.08
#: Grid lines shorter than this fraction of the shorter image side are not used: short
#: segments are trace slopes, letters and dots as often as grid.
_MIN_LINE_FRACTION = 0.12
#: Lines within this many degrees of a family's direction belong to it (a 30 degree tilt
#: spreads a family's directions by up to about 20 degrees across the page).
_FAMILY_SPREAD_DEG = 25.0
_MIN_LINES_PER_FAMILY = 6
#: Below these the page is taken as it is: the layout's own deskew handles rotations within
#: its range and a scan has no perspective to correct.
_MIN_PERSPECTIVE = 0.02
_MIN_ROTATION_DEG = MAX_ANGLE_DEG
#: Rectified grid lines may stray this far (RMS, degrees) from the axes before the
#: rectification is called too poor to read leads from.
MAX_RESIDUAL_DEG = 1.5
#: Horizontal and vertical grid periods must agree this well after the aspect correction.
_MAX_PERIOD_MISMATCH = 0.25


@dataclass(frozen=True)
class Rectification:
    """What was corrected: `homography` maps rectified page pixels to photo pixels.

    `perspective` is the strength of the projective part (the largest relative change of
    scale across the page, 0 for a flat scan); `rotation_deg` the in-plane rotation undone
    (counter-clockwise as seen); `residual_deg` the RMS angle of the grid lines from the axes
    after the vanishing-point correction (the line fit's quality figure: 0 is perfect); the
    grid-lattice refinement that follows (`grid_phase`) then moves the page by a few mm at most.
    """

    homography: Matrix
    perspective: float
    rotation_deg: float
    residual_deg: float

    def to_json(self) -> dict[str, Any]:
        return {
            "perspective": round(self.perspective, 4),
            "rotation_deg": round(self.rotation_deg, 2),
            "residual_deg": round(self.residual_deg, 3),
            "homography": [[round(float(v), 6) for v in row] for row in self.homography],
        }


class RectifiedPage:
    """A `PageSource` showing `source` through a homography (rectified px -> photo px)."""

    native_dpi: float | None = None

    def __init__(
        self, source: PageSource, to_photo: Matrix, size: tuple[int, int], max_pixels: int
    ) -> None:
        self.kind = source.kind
        self.page_index = source.page_index
        self.width, self.height = size
        self._source = source
        self._to_photo = to_photo
        self._max_pixels = max_pixels

    def render(self, scale: float = 1.0, clip: Clip | None = None) -> RGB:
        """The rectified page's `clip` at `scale`, warped from the photo at matching scale.

        The photo is rendered at about the output's resolution first (never above its own), so
        a small overview does not warp a 12 MP array.
        """
        box = clip_box(clip, self.width, self.height)
        height, width = output_size(box, scale, self._max_pixels, RejectCode.IMAGE_TOO_LARGE)
        x0, y0 = box[0], box[1]
        out_to_rect = np.array([[1 / scale, 0, x0], [0, 1 / scale, y0], [0, 0, 1.0]])
        to_photo = self._to_photo @ out_to_rect
        corners = _apply(to_photo, np.array([[0, 0], [width, 0], [0, height], [width, height]]))
        px0, py0 = np.clip(corners.min(axis=0) - 2, 0, None)
        px1 = min(float(self._source.width), float(corners[:, 0].max()) + 2)
        py1 = min(float(self._source.height), float(corners[:, 1].max()) + 2)
        if px1 - px0 < 1 or py1 - py0 < 1:
            return np.full((height, width, 3), 255, dtype=np.uint8)
        photo_scale = min(1.0, _local_scale(to_photo, width, height))
        region = self._source.render(photo_scale, (float(px0), float(py0), px1, py1))
        to_region = np.array(
            [[photo_scale, 0, -px0 * photo_scale], [0, photo_scale, -py0 * photo_scale], [0, 0, 1]]
        )
        matrix = to_region @ to_photo
        return np.asarray(
            cv2.warpPerspective(
                region,
                matrix,
                (width, height),
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderValue=(255, 255, 255),
            )
        )

    def text(self) -> str:
        """A photo has no text layer."""
        return ""

    def words(self) -> list[Word]:
        """A photo has no text layer."""
        return []


def _inverse(matrix: Matrix) -> Matrix:
    inverse: Matrix = np.linalg.inv(matrix).astype(np.float64)
    return inverse


def _apply(matrix: Matrix, points: npt.ArrayLike) -> Matrix:
    pts = np.asarray(points, dtype=np.float64)
    homogeneous = np.hstack([pts, np.ones((len(pts), 1))]) @ matrix.T
    result: Matrix = homogeneous[:, :2] / homogeneous[:, 2:3]
    return result


def _local_scale(to_photo: Matrix, width: int, height: int) -> float:
    """Photo pixels per output pixel at the output's centre (the photo resolution needed)."""
    cx, cy = width / 2, height / 2
    p = _apply(to_photo, [[cx, cy], [cx + 1, cy], [cx, cy + 1]])
    return 1.0 / max(1e-6, float(max(np.linalg.norm(p[1] - p[0]), np.linalg.norm(p[2] - p[0]))))


def _grid_lines(gray_grid: npt.NDArray[np.float32]) -> Matrix:
    """Long straight segments of the grid map: rows of x0, y0, x1, y1 (overview px)."""
    level = max(_MIN_GRID_LEVEL, float(np.percentile(gray_grid, _GRID_PERCENTILE)))
    binary = (gray_grid > level).astype(np.uint8) * 255
    short = min(binary.shape)
    segments = cv2.HoughLinesP(
        binary,
        rho=1,
        theta=np.pi / 360,
        threshold=int(short * _MIN_LINE_FRACTION),
        minLineLength=int(short * _MIN_LINE_FRACTION),
        maxLineGap=max(3, short // 100),
    )
    if segments is None:
        return np.zeros((0, 4))
    lines: Matrix = np.asarray(segments, dtype=np.float64).reshape(-1, 4)
    return lines


def _angles_deg(lines: Matrix) -> npt.NDArray[np.float64]:
    angles: npt.NDArray[np.float64] = (
        np.degrees(np.arctan2(lines[:, 3] - lines[:, 1], lines[:, 2] - lines[:, 0])) % 180.0
    )
    return angles


def _dominant_angle(angles: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]) -> float:
    """The grid's direction modulo 90 degrees (the circular mean of 4 x angle)."""
    z = np.sum(weights * np.exp(1j * np.radians(angles) * 4))
    return float(np.degrees(np.angle(z)) / 4) % 90.0


def _vanishing_point(lines: Matrix, weights: npt.NDArray[np.float64]) -> Matrix:
    """The homogeneous point closest to all lines (weighted least squares, unit vector)."""
    p = np.hstack([lines[:, :2], np.ones((len(lines), 1))])
    q = np.hstack([lines[:, 2:], np.ones((len(lines), 1))])
    homogeneous = np.cross(p, q)
    homogeneous /= np.linalg.norm(homogeneous[:, :2], axis=1, keepdims=True)
    _, _, vt = np.linalg.svd(homogeneous * weights[:, None])
    point: Matrix = vt[-1]
    return point


#: Families whose lines are all within this RMS angle of parallel are taken as parallel.
_PARALLEL_DEG = 0.4
#: A line counts towards its family's vanishing point when it points at it within this angle.
_INLIER_DEG = 1.0
_TRIM_ROUNDS = 4


def _misfit_deg(lines: Matrix, point: Matrix) -> npt.NDArray[np.float64]:
    """Angle (degrees) between each line and the direction from its midpoint to `point`."""
    mid = np.hstack([(lines[:, :2] + lines[:, 2:]) / 2, np.ones((len(lines), 1))])
    towards = point[None, :2] - mid[:, :2] * point[2]  # also right for a point at infinity
    along = lines[:, 2:] - lines[:, :2]
    cos = np.abs(np.sum(towards * along, axis=1)) / (
        np.linalg.norm(towards, axis=1) * np.linalg.norm(along, axis=1) + 1e-12
    )
    misfit: npt.NDArray[np.float64] = np.degrees(np.arccos(np.clip(cos, 0.0, 1.0)))
    return misfit


def _consistent(
    lines: Matrix, weights: npt.NDArray[np.float64], family: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """The family's lines that agree on one vanishing point, outliers trimmed in rounds.

    Hough also returns trace stretches, text baselines and page edges; a least-squares point
    through them all would be pulled off, so the worst-fitting lines are dropped and the
    point refitted until every remaining line passes within `_INLIER_DEG` of it.
    """
    keep = family.copy()
    for _ in range(_TRIM_ROUNDS):
        if keep.sum() < _MIN_LINES_PER_FAMILY:
            break
        point = _vanishing_point(lines[keep], weights[keep])
        misfit = _misfit_deg(lines, point)
        limit = max(_INLIER_DEG, float(np.percentile(misfit[keep], 75)))
        keep = family & (misfit <= limit)
    return keep


def _family(angles: npt.NDArray[np.float64], direction: float) -> npt.NDArray[np.bool_]:
    diff = np.abs((angles - direction + 90.0) % 180.0 - 90.0)
    mask: npt.NDArray[np.bool_] = diff < _FAMILY_SPREAD_DEG
    return mask


def _residual_deg(matrix: Matrix, lines: Matrix) -> float:
    """RMS angle (degrees) of the mapped lines from the nearest axis."""
    ends = _apply(matrix, lines.reshape(-1, 2)).reshape(-1, 4)
    angles = _angles_deg(ends)
    off = np.abs((angles + 45.0) % 90.0 - 45.0)
    return float(np.sqrt(np.mean(off**2)))


def _aspect(image: RGB) -> float | None:
    """Vertical over horizontal grid period of a rectified overview, if both are readable."""
    grid = grid_map(image)
    across, down = grid_periods(grid), grid_periods(np.ascontiguousarray(grid.T))
    pairs = [(d / a, a) for a in across[:2] for d in down[:2]]
    ratio = min(pairs, key=lambda pair: abs(math.log(pair[0])), default=None)
    if ratio is None or abs(ratio[0] - 1) > _MAX_PERIOD_MISMATCH:
        return None
    return ratio[0]


def _poor(detail: str) -> Rejection:
    return Rejection(
        RejectCode.UNREADABLE,
        f"the photo could not be straightened reliably ({detail}). Photograph the printout "
        "flat and from straight above, or upload the PDF or a scan.",
        Reason.PHOTO_NOT_RECTIFIED,
    )


def rectify(source: PageSource) -> tuple[PageSource, Rectification | None]:
    """The page seen fronto-parallel, and what was corrected; `source` itself when nothing was.

    Only images are looked at (a PDF page is drawn flat). A page whose grid lines cannot be
    found is passed on unchanged for layout detection to judge; one that is clearly in
    perspective but whose rectification leaves the grid crooked, or its squares unequal, is
    refused (UNREADABLE, `photo_not_rectified`): reading leads from it risks a misread.
    """
    if source.native_dpi is not None:
        return source, None
    scale = min(1.0, _OVERVIEW_MAX_SIDE / max(source.width, source.height))
    overview = source.render(scale)
    lines = _grid_lines(grid_map(overview))
    if len(lines) < 2 * _MIN_LINES_PER_FAMILY:
        return source, None
    lengths = np.hypot(lines[:, 2] - lines[:, 0], lines[:, 3] - lines[:, 1])
    angles = _angles_deg(lines)
    base = _dominant_angle(angles, lengths)
    first, second = _family(angles, base), _family(angles, base + 90.0)
    if first.sum() < _MIN_LINES_PER_FAMILY or second.sum() < _MIN_LINES_PER_FAMILY:
        return source, None
    # Centre and normalise coordinates so the vanishing-line arithmetic is well conditioned.
    h, w = overview.shape[:2]
    norm = np.array([[2 / w, 0, -1], [0, 2 / w, -h / w], [0, 0, 1.0]])
    nlines = _apply(norm, lines.reshape(-1, 2)).reshape(-1, 4)
    first = _consistent(nlines, lengths, first)
    second = _consistent(nlines, lengths, second)
    if first.sum() < _MIN_LINES_PER_FAMILY or second.sum() < _MIN_LINES_PER_FAMILY:
        return source, None
    # Grid lines that are already parallel (a scan, however turned) need no homography: the
    # vanishing points of nearly parallel lines are so uncertain that noise could place them
    # at a finite distance.
    offsets = (angles[first | second] - base + 45.0) % 90.0 - 45.0
    projective, perspective = np.eye(3), 0.0
    if float(np.sqrt(np.mean(offsets**2))) > _PARALLEL_DEG:
        va = _vanishing_point(nlines[first], lengths[first])
        vb = _vanishing_point(nlines[second], lengths[second])
        horizon = np.cross(va, vb)
        if abs(horizon[2]) > 1e-12:
            horizon = horizon / horizon[2]
            perspective = float(np.hypot(horizon[0], horizon[1]))
            if perspective >= _MIN_PERSPECTIVE:
                projective = np.array([[1, 0, 0], [0, 1, 0], [horizon[0], horizon[1], 1.0]])
    # After the projective part the families are parallel; turn the first onto the x axis
    # (or y, whichever is nearer, so an upright page stays upright) and the second onto the
    # other axis.
    stage = projective @ norm
    da = _direction(stage, lines[first], lengths[first])
    db = _direction(stage, lines[second], lengths[second])
    if abs(da[0]) < abs(db[0]):
        da, db = db, da
    da = da if da[0] > 0 else -da
    db = db if db[1] > 0 else -db
    affine = np.eye(3)
    affine[:2, :2] = np.linalg.inv(np.column_stack([da, db]))
    to_rect = affine @ stage
    rotation = math.degrees(math.atan2(da[1], da[0]))
    tilted = perspective >= _MIN_PERSPECTIVE or abs(rotation) >= _MIN_ROTATION_DEG
    # A sheet on a desk is a photo; anything else may be a scan whose lines are not all grid,
    # and is passed on as it is when straightening fails (layout detection then judges it,
    # as it judged every page before photos were straightened).
    on_desk = _crops(_paper_box(overview), overview.shape)
    residual = _residual_deg(to_rect, lines[first | second])
    if residual > MAX_RESIDUAL_DEG:
        if not (tilted and on_desk):
            return source, None
        raise _poor(f"grid lines still {residual:.1f} degrees off after correction")
    fitted, size = _fit_frame(to_rect, source, scale)
    limit = DEFAULT_INGEST_LIMITS.max_pixels
    small = ImagePage(source.kind, overview, limit)
    to_small = np.diag([scale, scale, 1.0])
    look = min(1.0, _OVERVIEW_MAX_SIDE / max(size))

    def looked_at(fitted: Matrix, size: tuple[int, int]) -> RGB:
        """The straightened page at `look`, warped from the overview (resampling the full
        photo again for a 1000 px check costs more than finding the lines)."""
        page = RectifiedPage(small, to_small @ _inverse(fitted), size, limit)
        return page.render(look)

    rectified = looked_at(fitted, size)
    paper = _paper_box(rectified)
    if not tilted and not _crops(paper, rectified.shape):
        return source, None
    if paper is not None:
        x0, y0, x1, y1 = (v / look for v in paper)
        fitted = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]]) @ fitted
        size = (max(1, round(x1 - x0)), max(1, round(y1 - y0)))
        rectified = looked_at(fitted, size)
    ratio = _aspect(rectified)
    if ratio is None and not (tilted and on_desk):
        return source, None
    if ratio is None:
        raise _poor("the grid squares are not square after correction")
    fitted = np.diag([1.0, 1.0 / ratio, 1.0]) @ fitted
    size = (size[0], max(1, round(size[1] / ratio)))
    fine = min(1.0, _REFINE_MAX_SIDE / max(size))
    correction = _lattice_correction(
        RectifiedPage(source, _inverse(fitted), size, limit).render(fine), fine
    )
    if correction is not None:
        fitted, size = _corrected_frame(correction, fitted, size)
    to_photo = _inverse(fitted)
    return (
        RectifiedPage(source, to_photo, size, DEFAULT_INGEST_LIMITS.max_pixels),
        Rectification(to_photo / to_photo[2, 2], perspective, rotation, residual),
    )


#: Paper is at least this bright relative to the brightest paper seen (desks are darker).
#: Low enough that a scan's light falloff (its far side up to 35 % darker) stays paper.
_PAPER_LEVEL = 0.55


def _paper_box(image: RGB) -> tuple[float, float, float, float] | None:
    """The bounding box (overview px) of the largest bright region: the sheet on the desk."""
    gray = image.max(axis=2)
    bright = float(np.percentile(gray, 90))
    mask = (gray > _PAPER_LEVEL * bright).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = (int(v) for v in stats[best, :4])
    return (float(x), float(y), float(x + w), float(y + h))


def _crops(box: tuple[float, float, float, float] | None, shape: tuple[int, ...]) -> bool:
    """Whether the sheet leaves a visible band of desk (over 2 % of a side) anywhere."""
    if box is None:
        return False
    h, w = shape[:2]
    x0, y0, x1, y1 = box
    return (
        min(x0, y0, w - x1, h - y1) < 0 or max(x0, w - x1) > 0.02 * w or max(y0, h - y1) > 0.02 * h
    )


#: A lattice fit that misses the grid by more than this fraction of its period (RMS) has
#: been misled (a crumpled sheet, a grid hidden under print) and is not used.
_MAX_LATTICE_MISS = 0.12


def _lattice_correction(rectified: RGB, look: float) -> Matrix | None:
    """The homography (rectified px -> corrected rectified px) that puts the grid of
    `rectified` (the page at `look`) onto a true square lattice (see `grid_phase`), or None
    when the grid is too faint or too irregular to measure it."""
    grid = grid_map(rectified)
    periods = grid_periods(grid)
    if not periods:
        return None
    # The finest lattice whose phase can be measured well: the lines seen, or every fifth.
    carrier = periods[0] if periods[0] >= MIN_CARRIER_PX else 5 * periods[0]
    fit = fit_lattice(grid, carrier)
    if fit is None or fit.residual_px > _MAX_LATTICE_MISS * carrier:
        return None
    to_look = np.diag([look, look, 1.0])
    correction: Matrix = _inverse(to_look) @ fit.correction @ to_look
    return correction


def _corrected_frame(
    correction: Matrix, fitted: Matrix, size: tuple[int, int]
) -> tuple[Matrix, tuple[int, int]]:
    """`fitted` followed by `correction`, in a frame re-sized to hold the whole old frame
    (the correction may change the scale along either axis by a few percent)."""
    w, h = size
    corners = _apply(correction, [[0, 0], [w, 0], [0, h], [w, h]])
    low, span = corners.min(axis=0), corners.max(axis=0) - corners.min(axis=0)
    shift = np.array([[1, 0, -low[0]], [0, 1, -low[1]], [0, 0, 1.0]])
    return shift @ correction @ fitted, (max(1, round(span[0])), max(1, round(span[1])))


def _direction(stage: Matrix, lines: Matrix, weights: npt.NDArray[np.float64]) -> Matrix:
    """The weighted mean unit direction of `lines` after `stage` (sign-aligned)."""
    ends = _apply(stage, lines.reshape(-1, 2)).reshape(-1, 4)
    vec = ends[:, 2:] - ends[:, :2]
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    reference = vec[int(np.argmax(weights))]
    vec *= np.sign(vec @ reference)[:, None]
    mean: Matrix = (vec * weights[:, None]).sum(axis=0)
    return mean / np.linalg.norm(mean)


def _fit_frame(to_rect: Matrix, source: PageSource, scale: float) -> tuple[Matrix, tuple[int, int]]:
    """`to_rect` (from pixels of the photo at `scale`) as a map from native photo pixels
    into a rectified frame that starts at 0, 0 and has about the photo's resolution."""
    from_native = to_rect @ np.diag([scale, scale, 1.0])
    corners = _apply(
        from_native, [[0, 0], [source.width, 0], [0, source.height], [source.width, source.height]]
    )
    span = corners.max(axis=0) - corners.min(axis=0)
    zoom = math.sqrt(source.width * source.height / max(1e-9, float(span[0] * span[1])))
    place = np.array(
        [[zoom, 0, -corners[:, 0].min() * zoom], [0, zoom, -corners[:, 1].min() * zoom], [0, 0, 1]]
    )
    size = (max(1, round(span[0] * zoom)), max(1, round(span[1] * zoom)))
    return place @ from_native, size
