"""Channels read from a digital ECG file -> the twelve standard leads the printout renderer draws.

Every waveform reader (DICOM, WFDB, EDF, GE MUSE XML, HL7 aECG, Philips XML) hands over
`Channel`s as the file labels them, in the file's own units and sampling rate; this module is
the one place that decides whether they make a screenable 12-lead ECG:

- lead names are normalised (``Lead I (Einthoven)``, ``ECG V1``, ``MDC_ECG_LEAD_AVR``, ``C3``
  ...), channels that are not one of the twelve (Frank leads, respiration) are ignored;
- III, aVR, aVL and aVF are derived from I and II (Einthoven and Goldberger) when a file stores
  only the eight independent leads, as GE MUSE does;
- units are converted to mV; a unit that is not a voltage, or amplitudes no ECG has (over
  `MAX_ABS_MV`: microvolts labelled as millivolts), is refused rather than misread;
- 250-1000 Hz recordings are resampled to the renderer's 500 Hz and the first 10 s are taken.

A refusal names what is missing (the leads, the unit, the seconds), with a stable code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import numpy as np
import numpy.typing as npt

from mtecg.errors import RejectCode, Rejection
from mtecg.geometry import LEADS
from mtecg.synth.signals import DURATION_S, FS_HZ, N_SAMPLES, Signals

FloatArray = npt.NDArray[np.float64]

MIN_FS_HZ: Final = 250.0
MAX_FS_HZ: Final = 1000.0
#: No real ECG deflection reaches this (QRS peaks are a few mV); a larger one means wrong units.
MAX_ABS_MV: Final = 15.0
#: A lead whose peak-to-peak stays under this over 10 s is a disconnected electrode.
MIN_PEAK_TO_PEAK_MV: Final = 0.01

_MV_PER_UNIT: Final = {
    "mv": 1.0,
    "millivolt": 1.0,
    "millivolts": 1.0,
    "uv": 1e-3,
    "µv": 1e-3,
    "μv": 1e-3,
    "microvolt": 1e-3,
    "microvolts": 1e-3,
    "nv": 1e-6,
    "v": 1e3,
    "volt": 1e3,
    "volts": 1e3,
}
_LEAD_BY_KEY: Final = {lead.lower(): lead for lead in LEADS} | {
    f"c{k}": f"V{k}"
    for k in range(1, 7)  # European chest-lead names
}
#: SCP-ECG lead codes (DICOM's ``5.6.3-9-N`` code values), for files with no code meaning.
SCP_ECG_CODES: Final = {
    1: "I",
    2: "II",
    3: "V1",
    4: "V2",
    5: "V3",
    6: "V4",
    7: "V5",
    8: "V6",
    61: "III",
    62: "aVR",
    63: "aVL",
    64: "aVF",
}
_PREFIXES: Final = re.compile(r"^(mdc_ecg_lead_|lead|ecg|ekg)[\s_:-]*")
_DERIVED: Final = ("III", "aVR", "aVL", "aVF")


@dataclass(frozen=True)
class Channel:
    """One channel as the file stores it: its label, samples, unit and sampling rate."""

    label: str
    samples: FloatArray
    unit: str
    fs_hz: float


def lead_name(label: str) -> str | None:
    """The standard lead a channel label names, or None (``Lead aVR`` -> aVR, ``vx`` -> None)."""
    key = re.sub(r"\(.*?\)", "", label.strip().lower())
    key = _PREFIXES.sub("", key.strip())
    key = re.sub(r"[\s_-]", "", key)
    return _LEAD_BY_KEY.get(key)


def mv_per_unit(unit: str) -> float | None:
    """Millivolts per unit of `unit` (``uV`` -> 0.001), or None when it is not a voltage."""
    return _MV_PER_UNIT.get(unit.strip().lower().replace(" ", ""))


def _resampled(channel: Channel) -> FloatArray:
    """The channel's first 10 s in mV at FS_HZ; refusals name the lead."""
    fs = channel.fs_hz
    if not (math.isfinite(fs) and MIN_FS_HZ <= fs <= MAX_FS_HZ):
        raise Rejection(
            RejectCode.UNSUPPORTED_SAMPLE_RATE,
            f"Lead {channel.label} is sampled at {fs:g} Hz; {MIN_FS_HZ:g}-{MAX_FS_HZ:g} Hz "
            "recordings can be screened.",
        )
    needed = round(DURATION_S * fs)
    if channel.samples.shape[0] < needed:
        raise Rejection(
            RejectCode.RECORD_TOO_SHORT,
            f"The record holds {channel.samples.shape[0] / fs:.1f} s of lead {channel.label}; "
            f"{DURATION_S:g} s of every lead are needed.",
        )
    factor = mv_per_unit(channel.unit)
    if factor is None:
        raise Rejection(
            RejectCode.WRONG_UNITS,
            f"Lead {channel.label} is in {channel.unit or 'no unit'!r}, not a voltage (mV, uV).",
        )
    samples = channel.samples[:needed] * factor
    if not np.all(np.isfinite(samples)):
        raise Rejection(
            RejectCode.CORRUPT_FILE, f"Lead {channel.label} has gaps in its first 10 s."
        )
    ratio = Fraction(FS_HZ / fs).limit_denominator(1000)
    if ratio != 1:
        # Imported here: scipy.signal takes about a second to import, and `mtecg.ingest`
        # (which the API imports to sniff uploads) needs it only for an off-rate recording.
        from scipy.signal import resample_poly

        samples = resample_poly(samples, ratio.numerator, ratio.denominator)
    out = np.zeros(N_SAMPLES)
    n = min(N_SAMPLES, samples.shape[0])
    out[:n] = samples[:n]
    out[n:] = samples[n - 1]  # at most a sample of rounding
    return out


def _with_derived_limb_leads(leads: dict[str, FloatArray]) -> None:
    """Adds III, aVR, aVL, aVF from I and II where the file did not store them."""
    if "I" not in leads or "II" not in leads:
        return
    one, two = leads["I"], leads["II"]
    derived = {
        "III": two - one,
        "aVR": -(one + two) / 2,
        "aVL": one - two / 2,
        "aVF": two - one / 2,
    }
    for lead in _DERIVED:
        leads.setdefault(lead, derived[lead])


def _check_plausible(leads: dict[str, FloatArray]) -> None:
    centred = {lead: s - np.median(s) for lead, s in leads.items()}
    peak = max(float(np.max(np.abs(s))) for s in centred.values())
    if peak > MAX_ABS_MV:
        raise Rejection(
            RejectCode.WRONG_UNITS,
            f"The signal reaches {peak:.0f} mV, more than any ECG: the file's units are wrong.",
        )
    flat = [lead for lead in LEADS if float(np.ptp(leads[lead])) < MIN_PEAK_TO_PEAK_MV]
    if flat:
        raise Rejection(
            RejectCode.MISSING_LEADS,
            f"Lead(s) {', '.join(flat)} carry no signal (electrode off?).",
        )


def to_signals(channels: Sequence[Channel]) -> Signals:
    """The twelve standard leads (LEADS order, mV, FS_HZ, 10 s) from a file's channels."""
    chosen: dict[str, Channel] = {}
    for channel in channels:
        lead = lead_name(channel.label)
        if lead is not None and lead not in chosen:
            chosen[lead] = channel
    leads = {lead: _resampled(channel) for lead, channel in chosen.items()}
    _with_derived_limb_leads(leads)
    missing = [lead for lead in LEADS if lead not in leads]
    if missing:
        raise Rejection(
            RejectCode.MISSING_LEADS,
            f"The file lacks lead(s) {', '.join(missing)}; all 12 standard leads are needed.",
        )
    _check_plausible(leads)
    return np.stack([leads[lead] for lead in LEADS])
