"""EDF / EDF+ -> channels (`edfio`).

edfio (the EDF reader and writer MNE-Python uses for export) reads from bytes in memory, needs
only NumPy, and separates EDF+ annotation channels from signals. Before it parses anything the
fixed header's declared sizes (signal count, data records, samples per record) are checked
against the file's length, so a header that declares more samples than the file holds is
refused without being read; only the first 10 s of each signal are then decoded.
"""

from __future__ import annotations

from typing import Final

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest.waveform import Channel
from mtecg.synth.signals import DURATION_S

#: EDF's version field: "0" padded with spaces to 8 bytes (EDF and EDF+ alike).
EDF_MAGIC: Final = b"0       "
_MAX_SIGNALS: Final = 512
_SIGNAL_HEADER_BYTES: Final = 256
_SAMPLES_FIELD: Final = 216  # offset of "samples per data record" within the signal headers


def _corrupt(what: str) -> Rejection:
    return Rejection(RejectCode.CORRUPT_FILE, f"The EDF file {what}.")


def _number(field: bytes) -> float:
    try:
        return float(field.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError) as exc:
        raise _corrupt("has a malformed header") from exc


def check_declared_size(data: bytes) -> None:
    """CORRUPT_FILE when the header declares more samples than the file holds."""
    if len(data) < 256:
        raise _corrupt("is truncated")
    records, signals = _number(data[236:244]), int(_number(data[252:256]))
    if not 1 <= signals <= _MAX_SIGNALS:
        raise _corrupt("declares an impossible number of signals")
    header_bytes = _SIGNAL_HEADER_BYTES * (signals + 1)
    if len(data) < header_bytes:
        raise _corrupt("is truncated in its header")
    start = _SIGNAL_HEADER_BYTES + signals * _SAMPLES_FIELD
    per_record = sum(
        int(_number(data[start + 8 * k : start + 8 * (k + 1)])) for k in range(signals)
    )
    if records == -1:  # "unknown" (a recording still running): edfio infers it from the size
        return
    if records < 0 or header_bytes + records * per_record * 2 > len(data):
        raise _corrupt("declares more samples than it holds (truncated or forged header)")


def read_edf(data: bytes) -> list[Channel]:
    """The file's signal channels (annotations left out), first 10 s of each."""
    import edfio

    check_declared_size(data)
    try:
        edf = edfio.read_edf(data, lazy_load_data=True)
        channels = []
        for signal in edf.signals:
            fs = float(signal.sampling_frequency)
            seconds = min(DURATION_S, float(edf.duration))
            samples = signal.get_data_slice(0, seconds)
            channels.append(
                Channel(signal.label, samples.astype(float), signal.physical_dimension, fs)
            )
    except Rejection:
        raise
    except Exception as exc:  # edfio raises ValueError and friends on malformed files
        raise _corrupt("cannot be read") from exc
    return channels
