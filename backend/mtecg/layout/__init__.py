"""Page image -> the twelve lead panels and the model's canonical image, or a reasoned refusal."""

import dataclasses

from mtecg.errors import Rejection
from mtecg.ingest.page import PageSource
from mtecg.layout.detect import detect_layout
from mtecg.layout.orientation import Orientation, TurnedPage, find_orientation, turned, unclear
from mtecg.layout.profiles import PROFILES, apply_profile
from mtecg.layout.rectify import rectify
from mtecg.layout.result import LayoutResult, Panel
from mtecg.timing import Stopwatch

AUTO = "auto"
PROFILE_NAMES = (AUTO, *PROFILES)


def find_layout(source: PageSource, profile: str = AUTO) -> LayoutResult:
    """Reads the page with the named fixed profile, or detects its layout when `auto`.

    Auto detection first straightens a photographed page (`rectify`) and turns a sideways or
    upside-down page upright (`orientation`); the result's boxes are then in the upright
    page, `rotation_deg` includes the quarter turn, and `rectification` says how the boxes
    map onto the photo. Finding the homography is timed as the `rectify` stage; the warping
    it costs is done on demand, so it falls in the stages that read the rectified page.
    """
    if profile == AUTO:
        clock = Stopwatch()
        with clock.stage("rectify"):
            page, rectification = rectify(source)
        if page.words():
            result, turns = detect_layout(page), 0  # drawn: its text layer says which way up
        else:
            with clock.stage("orientation"):
                orientation = find_orientation(page)
            result, turns = _detect_upright(page, orientation, rectification is not None)
        timed = dataclasses.replace(result, timings_ms={**clock.ms, **result.timings_ms})
        if rectification is None:
            return timed
        if turns:
            # The boxes are in the upright page: map them through the turn, then the photo.
            to_photo = rectification.homography @ TurnedPage(page, turns).to_source()
            rectification = dataclasses.replace(rectification, homography=to_photo / to_photo[2, 2])
        return dataclasses.replace(timed, rectification=rectification.to_json())
    if profile not in PROFILES:
        raise ValueError(f"unknown layout profile {profile!r}; known: {', '.join(PROFILE_NAMES)}")
    return apply_profile(profile, source)


def _detect_upright(
    page: PageSource, orientation: Orientation, straightened: bool
) -> tuple[LayoutResult, int]:
    """Detects the layout on the page turned upright; when the pulses did not say which end
    is up, the printed labels (OCR) must: the turn whose read they confirm is kept.

    A page whose rows run across as uploaded and whose labels confirm neither way is read as
    uploaded, as it always was; a sideways one is refused rather than read either way up.
    Returns the result and the quarter turns applied.
    """
    if orientation.proven:
        return _turn_result(
            detect_layout(turned(page, orientation.quarter_turns), straightened), orientation
        )
    first: LayoutResult | Rejection
    try:
        first = detect_layout(turned(page, orientation.quarter_turns), straightened)
        if first.labels_checked:
            return _turn_result(first, orientation)
    except Rejection as rejection:
        first = rejection
    flipped = Orientation((orientation.quarter_turns + 2) % 4)
    try:
        second = detect_layout(turned(page, flipped.quarter_turns), straightened)
        if second.labels_checked:
            return _turn_result(second, flipped)
    except Rejection:
        pass
    if orientation.quarter_turns != 0:
        raise unclear("its trace rows run down the picture")
    if isinstance(first, Rejection):
        raise first
    return first, 0


def _turn_result(result: LayoutResult, orientation: Orientation) -> tuple[LayoutResult, int]:
    """The result with the quarter turn added to its rotation (as uploaded, -180..180)."""
    if orientation.quarter_turns == 0:
        return result, 0
    total = (result.rotation_deg + orientation.rotation_deg) % 360.0
    total = total - 360.0 if total > 180.0 else total
    return dataclasses.replace(result, rotation_deg=round(total, 2)), orientation.quarter_turns


__all__ = ["AUTO", "PROFILE_NAMES", "LayoutResult", "Panel", "find_layout"]
