"""Page image -> the twelve lead panels and the model's canonical image, or a reasoned refusal."""

import dataclasses

from mtecg.ingest.page import PageSource
from mtecg.layout.detect import detect_layout
from mtecg.layout.profiles import PROFILES, apply_profile
from mtecg.layout.rectify import rectify
from mtecg.layout.result import LayoutResult, Panel
from mtecg.timing import Stopwatch

AUTO = "auto"
PROFILE_NAMES = (AUTO, *PROFILES)


def find_layout(source: PageSource, profile: str = AUTO) -> LayoutResult:
    """Reads the page with the named fixed profile, or detects its layout when `auto`.

    Auto detection first straightens a photographed page (`rectify`); the result's boxes are
    then in the rectified page, and `rectification` says how it maps onto the photo. Finding
    the homography is timed as the `rectify` stage; the warping it costs is done on demand, so
    it falls in the stages that read the rectified page.
    """
    if profile == AUTO:
        clock = Stopwatch()
        with clock.stage("rectify"):
            page, rectification = rectify(source)
        result = detect_layout(page)
        timed = dataclasses.replace(result, timings_ms={**clock.ms, **result.timings_ms})
        if rectification is None:
            return timed
        return dataclasses.replace(timed, rectification=rectification.to_json())
    if profile not in PROFILES:
        raise ValueError(f"unknown layout profile {profile!r}; known: {', '.join(PROFILE_NAMES)}")
    return apply_profile(profile, source)


__all__ = ["AUTO", "PROFILE_NAMES", "LayoutResult", "Panel", "find_layout"]
