"""Digital ECG files: each format gives back the signals it holds, refusals name what is wrong,
and the drawn page is read like any printout into the canonical image."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from support import philips_xml as philips
from support import waveform_files as wf

from mtecg.errors import RejectCode, Rejection
from mtecg.geometry import CANONICAL_H_PX, CANONICAL_W_PX, LEADS
from mtecg.ingest import open_document, sniff
from mtecg.ingest.digital import read_signals
from mtecg.ingest.sandbox import Sandbox
from mtecg.ingest.waveform import lead_name, mv_per_unit
from mtecg.ingest.wfdb_record import pack_record, read_wfdb
from mtecg.preprocess import exact_signals, preprocess, preprocess_in_sandbox
from mtecg.synth.header import Header
from mtecg.synth.layouts import SIRIRAJ_GRID
from mtecg.synth.printout import pdf_bytes, render_pdf

SIGNALS = wf.known_signals()
MAX_LIMIT = 1024**3


def _worst(got: np.ndarray, want: np.ndarray) -> tuple[float, float]:
    """(lowest per-lead correlation, largest absolute error in mV)."""
    corr = min(float(np.corrcoef(a, b)[0, 1]) for a, b in zip(got, want, strict=True))
    return corr, float(np.max(np.abs(got - want)))


def _refusal(data: bytes) -> Rejection:
    with pytest.raises(Rejection) as caught:
        open_document(data)
    return caught.value


@pytest.mark.parametrize(
    ("label", "lead"),
    [
        ("Lead I (Einthoven)", "I"),
        ("ECG V1", "V1"),
        ("MDC_ECG_LEAD_AVR", "aVR"),
        ("avf", "aVF"),
        ("C3", "V3"),
        ("lead-II", "II"),
        ("vx", None),
        ("Resp", None),
    ],
)
def test_lead_aliases(label: str, lead: str | None) -> None:
    assert lead_name(label) == lead


def test_units() -> None:
    assert mv_per_unit("MICROVOLTS") == 1e-3 and mv_per_unit("uV") == 1e-3
    assert mv_per_unit("mV") == 1.0 and mv_per_unit("mmHg") is None


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: wf.muse_xml(SIGNALS), "muse-xml"),
        (lambda: wf.aecg_xml(SIGNALS), "hl7-aecg"),
        (lambda: wf.edf_file(SIGNALS), "edf"),
        (lambda: wf.wfdb_zip(SIGNALS), "wfdb"),
        (lambda: wf.dicom_ecg(SIGNALS), "dicom"),
        (lambda: philips.philips_xml(SIGNALS), "philips-xml"),
    ],
    ids=["muse", "aecg", "edf", "wfdb", "dicom", "philips-xli"],
)
def test_each_format_gives_back_its_signals(make: Callable[[], bytes], kind: str) -> None:
    data = make()
    assert sniff(data) == kind
    corr, error = _worst(read_signals(data, kind), SIGNALS)
    # MUSE keeps 4.88 uV steps and derives four leads; the others keep 1-5 uV (Philips 5 uV,
    # its limb leads rebuilt from XLI residuals).
    assert corr > 0.999 and error < 0.01


def test_muse_limb_leads_are_derived_from_i_and_ii() -> None:
    got = read_signals(wf.muse_xml(SIGNALS), "muse-xml")
    for lead in ("III", "aVR", "aVL", "aVF"):
        k = LEADS.index(lead)
        assert np.max(np.abs(got[k] - SIGNALS[k])) < 0.01, lead


@pytest.mark.parametrize("fs", [250, 1000])
def test_other_rates_are_resampled_to_500_hz(fs: int) -> None:
    got = read_signals(wf.aecg_xml(SIGNALS, fs=fs), "hl7-aecg")
    assert got.shape == (12, 5000)
    corr, _ = _worst(got, SIGNALS)
    assert corr > 0.99


@pytest.mark.parametrize(
    ("data", "code", "named"),
    [
        (
            wf.muse_xml(SIGNALS, leads=("I", "II", "V1", "V2", "V4", "V5", "V6")),
            "missing_leads",
            "V3",
        ),
        (wf.aecg_xml(SIGNALS, leads=LEADS[:6]), "missing_leads", "V1"),
        (wf.aecg_xml(SIGNALS, unit="mmHg"), "wrong_units", "mmHg"),
        (wf.aecg_xml(SIGNALS * 1000, unit="mV"), "wrong_units", "mV"),
        (wf.aecg_xml(SIGNALS[:, :4000]), "record_too_short", "8.0 s"),
        (wf.aecg_xml(SIGNALS, fs=200), "unsupported_sample_rate", "200 Hz"),
        (philips.philips_xml(SIGNALS, compression="Uncompressed"), "unsupported_encoding", "XLI"),
        (philips.philips_xml(SIGNALS, resolution_tag=""), "wrong_units", "resolution"),
        (philips.philips_xml(SIGNALS[:, :4000]), "record_too_short", "8.0 s"),
        (philips.philips_xml(wf.resampled(SIGNALS, 200), fs=200), "unsupported_sample_rate", "200"),
        (
            philips.philips_xml(SIGNALS, labels=(*LEADS[:8], "Vx", *LEADS[9:])),
            "missing_leads",
            "V3",
        ),
        (
            philips.philips_xml(SIGNALS, labels=("II", "I", *LEADS[2:])),
            "unsupported_encoding",
            "II I III",
        ),
        (wf.philips_truncated_xli(), "corrupt_file", "XLI"),
    ],
    ids=[
        "muse-no-v3",
        "limb-only",
        "mmhg",
        "uv-as-mv",
        "8s",
        "200hz",
        "philips-uncompressed",
        "philips-no-resolution",
        "philips-8s",
        "philips-200hz",
        "philips-no-v3",
        "philips-lead-order",
        "philips-truncated",
    ],
)
def test_refusals_name_what_is_wrong(data: bytes, code: str, named: str) -> None:
    refusal = _refusal(data)
    assert refusal.code.value == code
    assert named in refusal.message


@pytest.mark.parametrize(("fs", "tag"), [(500, "resolution"), (1000, "signalresolution")])
def test_philips_xli_gives_back_its_signals(fs: int, tag: str) -> None:
    # Older files name the scale `resolution`; a 1000 Hz one is resampled to 500 Hz.
    data = philips.philips_xml(wf.resampled(SIGNALS, fs), fs=fs, resolution_tag=tag)
    corr, error = _worst(read_signals(data, "philips-xml"), SIGNALS)
    assert corr >= 0.99 and error <= 0.05


def test_philips_xli_encoder_round_trips_through_sierraecg() -> None:
    # The test encoder against the library's decoder alone, exactly (counts, all 12 leads).
    import io

    import sierraecg

    counts = np.round(SIGNALS * 200).astype(np.int64)
    record = sierraecg.read_file(io.BytesIO(philips.philips_xml(SIGNALS)))  # type: ignore[arg-type]
    assert [lead.label for lead in record.leads] == list(LEADS)
    assert np.array_equal(np.stack([lead.samples for lead in record.leads]), counts)


@pytest.mark.parametrize("seed", range(6))
def test_garbled_philips_xli_is_refused_not_crashed(seed: int) -> None:
    assert _refusal(wf.philips_garbled_xli(seed)).code is RejectCode.CORRUPT_FILE


def test_a_philips_xml_is_screened_end_to_end_in_the_sandbox() -> None:
    data = philips.philips_xml(SIGNALS)
    result = preprocess(data)
    assert result.kind == "philips-xml" and result.signals is not None
    assert sorted(panel.lead for panel in result.layout.panels) == sorted(LEADS)
    assert result.layout.canonical.shape == (CANONICAL_H_PX, CANONICAL_W_PX, 3)
    with Sandbox() as box:  # the worker loads sierraecg before its address-space cap
        boxed = preprocess_in_sandbox(box, data)
        assert boxed.summary() == result.summary()
        with pytest.raises(Rejection) as caught:
            preprocess_in_sandbox(box, wf.philips_truncated_xli())
        assert caught.value.code is RejectCode.CORRUPT_FILE


def test_a_flat_lead_is_missing() -> None:
    flat = SIGNALS.copy()
    flat[LEADS.index("V4")] = 0.0
    refusal = _refusal(wf.aecg_xml(flat))
    assert refusal.code is RejectCode.MISSING_LEADS and "V4" in refusal.message


def test_the_drawn_page_is_the_synthetic_printout_of_the_same_signals() -> None:
    # One code path draws ECGs: the canonical image of a DICOM file equals that of the
    # synthetic printout renderer's own PDF of the signals the file held (header text aside).
    from_dicom = preprocess(wf.dicom_ecg(SIGNALS))
    assert from_dicom.kind == "dicom" and from_dicom.signals is not None
    header = Header(lines=("Synthetic ECG for software testing",), settings="25 mm/s")
    from_pdf = preprocess(pdf_bytes(render_pdf(SIRIRAJ_GRID, from_dicom.signals, header)))
    assert from_dicom.layout.canonical.shape == (CANONICAL_H_PX, CANONICAL_W_PX, 3)
    assert from_dicom.layout.panels == from_pdf.layout.panels
    diff = np.abs(from_dicom.layout.canonical.astype(int) - from_pdf.layout.canonical)
    assert np.mean(diff) < 0.5


def test_a_waveform_cannot_be_read_with_the_plain_profile() -> None:
    with pytest.raises(Rejection) as caught:
        preprocess(wf.aecg_xml(SIGNALS), "siriraj-plain")
    assert caught.value.code is RejectCode.UNSUPPORTED_LAYOUT


def test_exact_signals_refuses_a_picture() -> None:
    from support import hostile

    with pytest.raises(Rejection) as caught:
        exact_signals(hostile.image_bytes(hostile.ecg_like_rgb()))
    assert caught.value.code is RejectCode.NO_SIGNALS


# -- the real samples ---------------------------------------------------------------------------


def test_samples_match_their_reference_readers(samples: Path) -> None:
    import pydicom
    import wfdb

    folder = samples / "signals"
    js = exact_signals(pack_record(folder / "JS00001.hea", 20 * 2**20))
    reference = wfdb.rdrecord(str(folder / "JS00001")).p_signal[:5000].T
    assert np.allclose(js, reference)  # 500 Hz, mV: taken as is
    ptb = exact_signals(pack_record(folder / "s0010_re.hea", 20 * 2**20))
    reference = wfdb.rdrecord(str(folder / "s0010_re"), sampto=10_000).p_signal[::2, :12].T
    corr, error = _worst(ptb, reference)
    assert corr > 0.99 and error < 0.1  # 1000 Hz decimated with an anti-alias filter
    data = (folder / "mortara_anonymous_ecg.dcm").read_bytes()
    dicom = exact_signals(data)
    reference = pydicom.dcmread(folder / "mortara_anonymous_ecg.dcm").waveform_array(0)
    corr, error = _worst(dicom, reference[::2].T / 1000)  # uV -> mV
    assert corr > 0.99 and error < 0.1


def test_ptb_xl_at_100_hz_is_refused(samples: Path) -> None:
    data = pack_record(samples / "signals" / "00001_lr.hea", 20 * 2**20)
    refusal = _refusal(data)
    assert refusal.code is RejectCode.UNSUPPORTED_SAMPLE_RATE and "100 Hz" in refusal.message


def test_frank_leads_are_ignored(samples: Path) -> None:
    channels = read_wfdb(samples / "signals" / "s0010_re")
    assert [c.label for c in channels][-3:] == ["vx", "vy", "vz"]


def test_every_sample_in_the_sandbox(samples: Path) -> None:
    folder = samples / "signals"
    uploads = {
        "mortara_anonymous_ecg.dcm": (folder / "mortara_anonymous_ecg.dcm").read_bytes(),
        **{
            name: pack_record(folder / name, 20 * 2**20)
            for name in ("JS00001.hea", "s0010_re.hea", "00001_lr.hea")
        },
    }
    with Sandbox() as box:
        for name, data in uploads.items():
            if name == "00001_lr.hea":
                with pytest.raises(Rejection) as caught:
                    preprocess_in_sandbox(box, data)
                assert caught.value.code is RejectCode.UNSUPPORTED_SAMPLE_RATE
                continue
            result = preprocess_in_sandbox(box, data)
            assert result.signals is not None and result.signals.shape == (12, 5000), name
            assert result.layout.canonical.shape == (CANONICAL_H_PX, CANONICAL_W_PX, 3)
            assert result.summary()["input_type"] in ("dicom", "wfdb")
