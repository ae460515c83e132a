"""DICOM 12-Lead ECG and General ECG Waveform Storage -> channels (pydicom).

pydicom is the maintained reference reader for DICOM in Python; its `waveform_array` applies
each channel's sensitivity, correction factor and baseline (PS3.3 C.10.9), so samples come
out in the unit of ChannelSensitivityUnitsSequence (usually uV). The rhythm multiplex group is
read (not the median beat). The group's declared channel and sample counts are checked
against the bytes it holds before any array is made, so a header that declares a billion
samples costs nothing.
"""

from __future__ import annotations

import io
from typing import Any, Final

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.waveform import SCP_ECG_CODES, Channel

#: SOP classes whose waveforms are ECGs (PS3.4 B.5).
ECG_SOP_CLASSES: Final = {
    "1.2.840.10008.5.1.4.1.1.9.1.1": "12-lead ECG",
    "1.2.840.10008.5.1.4.1.1.9.1.2": "General ECG",
}
_MEDIAN_LABELS: Final = ("MEDIAN", "AVERAGE", "TEMPLATE")


def _corrupt(what: str) -> Rejection:
    return Rejection(RejectCode.CORRUPT_FILE, f"The DICOM file {what}.")


def _label(definition: Any) -> str:
    """The channel's lead: its code meaning, else the SCP-ECG code value's lead."""
    source = definition.get("ChannelSourceSequence")
    if not source:
        return ""
    item = source[0]
    meaning = str(item.get("CodeMeaning", ""))
    if meaning:
        return meaning
    value = str(item.get("CodeValue", ""))
    if value.startswith("5.6.3-9-") and value[8:].isdigit():
        return SCP_ECG_CODES.get(int(value[8:]), value)
    return value


def _unit(definition: Any) -> str:
    units = definition.get("ChannelSensitivityUnitsSequence")
    return str(units[0].get("CodeValue", "")) if units else ""


def _rhythm_group(sequence: Any) -> int:
    """Index of the first multiplex group that is not a median beat."""
    for index, group in enumerate(sequence):
        label = str(group.get("MultiplexGroupLabel", "")).upper()
        if not any(word in label for word in _MEDIAN_LABELS):
            return index
    raise _corrupt("holds only median beats, no rhythm waveform")


def _check_declared_size(group: Any) -> None:
    channels = int(group.get("NumberOfWaveformChannels", 0))
    samples = int(group.get("NumberOfWaveformSamples", 0))
    bits = int(group.get("WaveformBitsAllocated", 0))
    if channels < 1 or samples < 1 or bits not in (8, 16, 32, 64):
        raise _corrupt("declares no usable waveform")
    held = len(group.get("WaveformData", b"") or b"")
    if channels * samples * bits // 8 > held:
        raise _corrupt(
            f"declares {channels} x {samples} samples but holds bytes for fewer (truncated)"
        )


def read_dicom(data: bytes) -> list[Channel]:
    """The rhythm group's channels; UNSUPPORTED_TYPE for DICOM that is not an ECG waveform."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data))
        sop = str(ds.get("SOPClassUID", ""))
    except MemoryError:
        raise
    except (InvalidDicomError, Exception) as exc:  # pydicom raises many kinds on damage
        raise _corrupt("cannot be read") from exc
    if not sop:
        raise _corrupt("has no SOP class (damaged)")
    if sop not in ECG_SOP_CLASSES:
        raise Rejection(
            RejectCode.UNSUPPORTED_TYPE,
            "The DICOM file is not a 12-lead or General ECG waveform.",
        )
    try:
        sequence = ds.get("WaveformSequence")
        if not sequence:
            raise _corrupt("holds no waveform")
        index = _rhythm_group(sequence)
        group = sequence[index]
        _check_declared_size(group)
        fs = float(group.SamplingFrequency)
        definitions = list(group.ChannelDefinitionSequence)
        array = ds.waveform_array(index)
    except (Rejection, MemoryError):
        raise
    except Exception as exc:  # malformed elements surface as many exception types
        raise _corrupt("has a malformed waveform") from exc
    if array.ndim != 2 or array.shape[1] != len(definitions):
        raise _corrupt("has a waveform that does not match its channel definitions")
    return [
        Channel(_label(d), array[:, k].astype(float), _unit(d), fs)
        for k, d in enumerate(definitions)
    ]
