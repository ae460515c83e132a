"""Digital ECG files -> the twelve signals -> a drawn printout page, screened like any other.

A waveform file has no page, so one is drawn: the signals go through the synthetic-printout
renderer (`mtecg.synth.printout`, Siriraj geometry, 25 mm/s, 10 mm/mV), the one code path that
draws ECGs, and the page it makes is read by the layout stage exactly like an uploaded PDF.
The page keeps its signals (`SignalPage.signals`) for the signal exports.

Formats (sniffed by `mtecg.ingest.sniff`): DICOM ECG waveforms, WFDB records in a ZIP, EDF/EDF+,
GE MUSE XML, HL7 aECG and Philips (SierraECG) XML with XLI-compressed waveforms.
"""

from __future__ import annotations

from typing import Final

from mtecg.ingest.limits import IngestLimits
from mtecg.ingest.pdf import PdfPage
from mtecg.synth.signals import Signals

WAVEFORM_KINDS: Final = frozenset({"dicom", "wfdb", "edf", "muse-xml", "hl7-aecg", "philips-xml"})
_SETTINGS: Final = "25 mm/s    10 mm/mV    drawn from a digital waveform"


class SignalPage(PdfPage):
    """The printout page drawn from a waveform file, with the signals it was drawn from."""

    def __init__(self, kind: str, signals: Signals, limits: IngestLimits) -> None:
        from mtecg.synth.header import Header
        from mtecg.synth.layouts import SIRIRAJ_GRID
        from mtecg.synth.printout import render_pdf

        header = Header(lines=(f"Digital ECG ({kind})",), settings=_SETTINGS)
        super().__init__(render_pdf(SIRIRAJ_GRID, signals, header), 0, limits)
        self.kind = kind
        self.signals = signals


def read_signals(data: bytes, kind: str) -> Signals:
    """The twelve leads (mV, 500 Hz, 10 s) of a sniffed waveform file, or a Rejection."""
    from mtecg.ingest.waveform import to_signals

    if kind == "dicom":
        from mtecg.ingest.dicom_ecg import read_dicom

        return to_signals(read_dicom(data))
    if kind == "wfdb":
        from mtecg.ingest.wfdb_record import read_wfdb_archive

        return to_signals(read_wfdb_archive(data))
    if kind == "edf":
        from mtecg.ingest.edf import read_edf

        return to_signals(read_edf(data))
    from mtecg.ingest.ecg_xml import parse_xml

    root = parse_xml(data)
    if kind == "muse-xml":
        from mtecg.ingest.muse_xml import read_muse

        return to_signals(read_muse(root))
    if kind == "hl7-aecg":
        from mtecg.ingest.hl7_aecg import read_aecg

        return to_signals(read_aecg(root))
    from mtecg.ingest.philips_xml import read_philips

    return to_signals(read_philips(data, root))


def open_waveform(data: bytes, kind: str, limits: IngestLimits) -> SignalPage:
    """Reads a waveform file and draws its printout page."""
    return SignalPage(kind, read_signals(data, kind), limits)
