"""GE MUSE ``RestingECG`` XML -> channels.

No maintained Python reader exists for MUSE exports, so this follows GE's published MUSE XML
layout: each ``Waveform`` has a ``WaveformType`` (``Rhythm`` is the full recording, ``Median``
the averaged beat), a sampling rate ``SampleBase`` x 10^``SampleExponent`` and one ``LeadData``
per lead with its ``LeadID``, ``LeadAmplitudeUnitsPerBit``, ``LeadAmplitudeUnits`` and
``WaveFormData``: base64 of little-endian 16-bit samples. MUSE stores the eight independent leads
(I, II, V1-V6); `to_signals` derives III, aVR, aVL and aVF. A lead's declared sample count must
match what its base64 holds.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.ecg_xml import children, decode_int16, text_of
from mtecg.ingest.waveform import Channel


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise Rejection(RejectCode.CORRUPT_FILE, f"The MUSE XML has no valid {what}.") from exc


def _rhythm(root: Element) -> Element:
    for waveform in children(root, "Waveform"):
        if text_of(waveform, "WaveformType").lower() == "rhythm":
            return waveform
    raise Rejection(RejectCode.CORRUPT_FILE, "The MUSE XML holds no rhythm waveform.")


def read_muse(root: Element) -> list[Channel]:
    """The rhythm waveform's leads, in the file's units (usually MICROVOLTS)."""
    waveform = _rhythm(root)
    fs = _number(text_of(waveform, "SampleBase"), "SampleBase") * 10 ** _number(
        text_of(waveform, "SampleExponent", "0"), "SampleExponent"
    )
    channels = []
    for lead in children(waveform, "LeadData"):
        name = text_of(lead, "LeadID")
        samples = decode_int16(text_of(lead, "WaveFormData"), f"lead {name}")
        declared = text_of(lead, "LeadSampleCountTotal")
        if declared and _number(declared, "LeadSampleCountTotal") != samples.shape[0]:
            raise Rejection(
                RejectCode.CORRUPT_FILE,
                f"Lead {name} declares {declared} samples but holds {samples.shape[0]}.",
            )
        per_bit = _number(
            text_of(lead, "LeadAmplitudeUnitsPerBit", "1"), "LeadAmplitudeUnitsPerBit"
        )
        unit = text_of(lead, "LeadAmplitudeUnits")
        channels.append(Channel(name, samples * per_bit, unit, fs))
    return channels
