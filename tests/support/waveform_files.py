"""Digital ECG files built in memory from known signals, for the waveform readers' tests.

Each builder writes a format from its public description (GE MUSE XML, HL7 aECG, EDF via edfio,
DICOM via pydicom, WFDB via wfdb in a ZIP;
Philips XML with XLI in support.philips_xml), from a synthetic 12-lead record, so a test knows
exactly which signals a reader must give back. Keyword arguments break one thing at a time
(leads left out, units, duration, declared counts) for the refusal and hostile cases.
"""

from __future__ import annotations

import base64
import io
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mtecg.geometry import LEADS
from mtecg.ingest.archive import make_archive
from mtecg.synth.signals import FS_HZ, Expression, Signals, synthesize
from support import philips_xml as philips

MUSE_LEADS = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")


def known_signals(seed: int = 3) -> Signals:
    """A synthetic 12-lead record (mV, 500 Hz, 10 s)."""
    return synthesize(Expression(), np.random.default_rng(seed)).signals


def resampled(signals: Signals, fs: int) -> Signals:
    """The record at `fs` Hz by linear interpolation (to build files at other rates)."""
    n = signals.shape[1]
    t_out = np.arange(round(n * fs / FS_HZ)) / fs
    t_in = np.arange(n) / FS_HZ
    return np.stack([np.interp(t_out, t_in, lead) for lead in signals])


def muse_xml(
    signals: Signals,
    leads: Sequence[str] = MUSE_LEADS,
    uv_per_bit: float = 4.88,
    declared: int | None = None,
    cut_base64: int = 0,
) -> bytes:
    """GE MUSE RestingECG: a median and a rhythm waveform, 8 leads in base64 int16."""
    parts = []
    for lead in leads:
        digital = np.round(signals[LEADS.index(lead)] * 1000 / uv_per_bit).astype("<i2")
        b64 = base64.b64encode(digital.tobytes()).decode()
        if cut_base64:
            b64 = b64[:-cut_base64]
        count = declared if declared is not None else digital.shape[0]
        parts.append(
            f"<LeadData><LeadByteCountTotal>{2 * count}</LeadByteCountTotal>"
            f"<LeadSampleCountTotal>{count}</LeadSampleCountTotal>"
            f"<LeadAmplitudeUnitsPerBit>{uv_per_bit}</LeadAmplitudeUnitsPerBit>"
            f"<LeadAmplitudeUnits>MICROVOLTS</LeadAmplitudeUnits><LeadID>{lead}</LeadID>"
            f"<WaveFormData>{b64}</WaveFormData></LeadData>"
        )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<RestingECG><MuseInfo><MuseVersion>9.0'
        "</MuseVersion></MuseInfo><PatientDemographics><PatientID>SYNTHETIC</PatientID>"
        "</PatientDemographics><Waveform><WaveformType>Median</WaveformType><SampleBase>500"
        "</SampleBase></Waveform><Waveform><WaveformType>Rhythm</WaveformType>"
        f"<NumberofLeads>{len(leads)}</NumberofLeads><SampleBase>{FS_HZ}</SampleBase>"
        "<SampleExponent>0</SampleExponent>" + "".join(parts) + "</Waveform></RestingECG>"
    ).encode("iso-8859-1")


def aecg_xml(
    signals: Signals,
    fs: int = FS_HZ,
    unit: str = "uV",
    leads: Sequence[str] = LEADS,
    prolog: str = "",
) -> bytes:
    """HL7 aECG: one rhythm series, a GLIST time sequence and SLIST_PQ leads (5 uV steps)."""
    data = signals if fs == FS_HZ else resampled(signals, fs)
    components = [
        '<component><sequence><code code="TIME_ABSOLUTE" codeSystem="2.16.840.1.113883.5.4"/>'
        '<value xsi:type="GLIST_TS"><head value="20240101101010.000"/>'
        f'<increment value="{1 / fs:.6f}" unit="s"/></value></sequence></component>'
    ]
    for lead in leads:
        digits = " ".join(str(int(v)) for v in np.round(data[LEADS.index(lead)] * 1000 / 5))
        code = "MDC_ECG_LEAD_" + lead.upper()
        components.append(
            f'<component><sequence><code code="{code}" codeSystem="2.16.840.1.113883.6.24"/>'
            f'<value xsi:type="SLIST_PQ"><origin value="0" unit="{unit}"/>'
            f'<scale value="5" unit="{unit}"/><digits>{digits}</digits></value>'
            "</sequence></component>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<AnnotatedECG xmlns="urn:hl7-org:v3" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><id root="SYNTHETIC"/>'
        '<component><series><code code="RHYTHM"/><component><sequenceSet>'
        + "".join(components)
        + "</sequenceSet></component></series></component></AnnotatedECG>"
    ).encode()


def edf_file(signals: Signals, labels: Sequence[str] | None = None, unit: str = "uV") -> bytes:
    """EDF+ with one signal per lead (``ECG I`` ...), in microvolts, written by edfio."""
    import edfio

    scale = 1000.0 if unit == "uV" else 1.0
    edf_signals = [
        edfio.EdfSignal(
            signals[k] * scale,
            sampling_frequency=FS_HZ,
            label=(labels[k] if labels else f"ECG {lead}"),
            physical_dimension=unit,
            physical_range=(-10_000 * scale / 1000, 10_000 * scale / 1000),
        )
        for k, lead in enumerate(LEADS)
    ]
    out = io.BytesIO()
    edfio.Edf(edf_signals).write(out)
    return out.getvalue()


def wfdb_zip(signals: Signals, fs: int = FS_HZ, name: str = "rec") -> bytes:
    """A WFDB record (.hea + .dat, format 16) zipped, as the API takes it."""
    import wfdb

    data = signals if fs == FS_HZ else resampled(signals, fs)
    with tempfile.TemporaryDirectory() as folder:
        wfdb.wrsamp(
            name,
            fs=fs,
            units=["mV"] * 12,
            sig_name=list(LEADS),
            p_signal=np.ascontiguousarray(data.T),
            fmt=["16"] * 12,
            adc_gain=[1000.0] * 12,
            baseline=[0] * 12,
            write_dir=folder,
        )
        files = {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}
    return make_archive(files)


def zip_of(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def dicom_ecg(signals: Signals, samples_declared: int | None = None) -> bytes:
    """A DICOM 12-lead ECG (rhythm group, 16-bit, 1 uV per bit), written with pydicom."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence as DicomSequence
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.9.1.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "ECG"
    ds.PatientName = "SYNTHETIC"
    group = Dataset()
    group.MultiplexGroupLabel = "RHYTHM"
    group.SamplingFrequency = FS_HZ
    group.NumberOfWaveformChannels = 12
    group.NumberOfWaveformSamples = samples_declared or signals.shape[1]
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    definitions = []
    for lead in LEADS:
        item = Dataset()
        source = Dataset()
        source.CodeMeaning = f"Lead {lead}"
        item.ChannelSourceSequence = DicomSequence([source])
        unit = Dataset()
        unit.CodeValue = "uV"
        item.ChannelSensitivityUnitsSequence = DicomSequence([unit])
        item.ChannelSensitivity = 1.0
        item.ChannelSensitivityCorrectionFactor = 1.0
        item.ChannelBaseline = 0.0
        item.WaveformBitsStored = 16
        definitions.append(item)
    group.ChannelDefinitionSequence = DicomSequence(definitions)
    group.WaveformData = np.round(signals.T * 1000).astype("<i2").tobytes()
    ds.WaveformSequence = DicomSequence([group])
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


# -- hostile variants ---------------------------------------------------------------------------

_LAUGHS = (
    '<!DOCTYPE AnnotatedECG [<!ENTITY a "ha">'
    + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)


def xml_billion_laughs() -> bytes:
    """An aECG whose DTD expands one entity 10^8-fold (the "billion laughs")."""
    return aecg_xml(known_signals(), prolog=_LAUGHS).replace(
        b'<id root="SYNTHETIC"/>', b"<id>&i;</id>"
    )


def xml_external_entity() -> bytes:
    """A MUSE XML that pulls /etc/passwd into a field through an external entity."""
    doc = muse_xml(known_signals())
    doctype = b'<!DOCTYPE RestingECG [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    doc = doc.replace(b"<RestingECG>", doctype + b"<RestingECG>", 1)
    return doc.replace(b"<PatientID>SYNTHETIC</PatientID>", b"<PatientID>&x;</PatientID>")


def philips_truncated_xli(keep: float = 0.5) -> bytes:
    """A Philips XML whose XLI payload stops part-way (`keep` of its bytes)."""
    signals = known_signals()
    payload = philips.xli_payload(signals)
    return philips.philips_xml(signals, payload=payload[: round(len(payload) * keep)])


def philips_garbled_xli(seed: int = 0) -> bytes:
    """A Philips XML with 20 bytes of its XLI payload (headers and LZW codes) flipped."""
    signals = known_signals()
    payload = bytearray(philips.xli_payload(signals))
    rng = np.random.default_rng(seed)
    for at in rng.integers(0, len(payload), 20):
        payload[at] ^= int(rng.integers(1, 256))
    return philips.philips_xml(signals, payload=bytes(payload))


def muse_truncated_base64() -> bytes:
    return muse_xml(known_signals(), cut_base64=3)


def muse_huge_declared_count() -> bytes:
    return muse_xml(known_signals(), declared=2_000_000_000)


def dicom_huge_declared_samples() -> bytes:
    return dicom_ecg(known_signals(), samples_declared=1_000_000_000)


def edf_huge_declared_records() -> bytes:
    data = bytearray(edf_file(known_signals()))
    data[236:244] = b"99999999"
    return bytes(data)


def wfdb_huge_declared_length() -> bytes:
    """A header declaring 10^12 samples over a .dat that holds 5 s."""
    record = zipfile.ZipFile(io.BytesIO(wfdb_zip(known_signals())))
    header = record.read("rec.hea").decode().split("\n")
    first = header[0].split()
    header[0] = " ".join([*first[:3], "1000000000000", *first[4:]])
    return make_archive(
        {"rec.hea": "\n".join(header).encode(), "rec.dat": record.read("rec.dat")[: 2 * 12 * 2500]}
    )


def zip_bomb() -> bytes:
    """80 MiB of zeros deflated to ~80 KB, named like a record."""
    return zip_of({"rec.hea": b"rec 12 500 5000\n", "rec.dat": bytes(80 * 2**20)})


def zip_ratio_bomb() -> bytes:
    """Under the total-size cap, but 1000 x compressed."""
    return zip_of({"rec.hea": b"rec 12 500 5000\n", "rec.dat": bytes(8 * 2**20)})


def zip_path_traversal() -> bytes:
    record = zipfile.ZipFile(io.BytesIO(wfdb_zip(known_signals())))
    return zip_of({"../../rec.hea": record.read("rec.hea"), "rec.dat": record.read("rec.dat")})


def zip_many_entries() -> bytes:
    return zip_of({f"f{k}.txt": b"x" for k in range(200)})
