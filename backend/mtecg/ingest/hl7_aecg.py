"""HL7 v3 annotated ECG (aECG, the FDA's submission format) -> channels.

Read after HL7's aECG implementation guide: ``AnnotatedECG/component/series`` holds the rhythm
``sequenceSet`` (medians live under ``series/derivation`` and are not read); its
``TIME_ABSOLUTE``/``TIME_RELATIVE`` sequence gives the sampling interval (``GLIST`` increment,
in s or ms), and each ``MDC_ECG_LEAD_*`` sequence an ``SLIST_PQ``: physical value = origin +
scale x digit, in the scale's unit (usually uV). Too few digits, or a lead with a different
count than the others, is CORRUPT_FILE.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import numpy as np

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.ecg_xml import child, children, local
from mtecg.ingest.waveform import Channel

_SECONDS_PER_UNIT = {"s": 1.0, "ms": 1e-3}


def _corrupt(what: str) -> Rejection:
    return Rejection(RejectCode.CORRUPT_FILE, f"The HL7 aECG {what}.")


def _float(element: Element | None, attribute: str, what: str) -> float:
    try:
        return float("" if element is None else element.get(attribute, ""))
    except ValueError as exc:
        raise _corrupt(f"has no valid {what}") from exc


def _sequence_set(root: Element) -> Element:
    for component in children(root, "component"):
        series = child(component, "series")
        if series is None:
            continue
        for part in children(series, "component"):
            found = child(part, "sequenceSet")
            if found is not None:
                return found
    raise _corrupt("holds no rhythm series")


def _interval_s(sequence: Element) -> float:
    increment = next((e for e in sequence.iter() if local(e.tag) == "increment"), None)
    unit = "" if increment is None else increment.get("unit", "s")
    if unit not in _SECONDS_PER_UNIT:
        raise _corrupt(f"has a time increment in {unit!r}")
    interval = _float(increment, "value", "time increment") * _SECONDS_PER_UNIT[unit]
    if not interval > 0:
        raise _corrupt("has no positive time increment")
    return interval


def read_aecg(root: Element) -> list[Channel]:
    """The rhythm series' leads, in their scale's unit."""
    interval: float | None = None
    channels = []
    for component in children(_sequence_set(root), "component"):
        sequence = child(component, "sequence")
        code = None if sequence is None else child(sequence, "code")
        value = None if sequence is None else child(sequence, "value")
        if sequence is None or code is None or value is None:
            continue
        name = code.get("code", "")
        if name.startswith("TIME_"):
            interval = _interval_s(sequence)
            continue
        digits = child(value, "digits")
        scale = child(value, "scale")
        try:
            samples = np.array((digits.text or "").split() if digits is not None else [], float)
        except ValueError as exc:
            raise _corrupt(f"lead {name} has digits that are not numbers") from exc
        origin_element = child(value, "origin")
        origin = 0.0 if origin_element is None else _float(origin_element, "value", "origin")
        factor = _float(scale, "value", f"scale of {name}")
        unit = "" if scale is None else scale.get("unit", "")
        channels.append((name, origin + factor * samples, unit))
    if interval is None:
        raise _corrupt("has no time sequence")
    lengths = {samples.shape[0] for _, samples, _ in channels}
    if len(lengths) > 1:
        raise _corrupt("has leads of different lengths (truncated digits?)")
    return [Channel(name, samples, unit, 1.0 / interval) for name, samples, unit in channels]
