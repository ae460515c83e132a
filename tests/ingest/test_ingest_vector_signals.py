"""Exact signals from vector PDFs: a printout drawn from known signals gives them back, and
the exports (CSV, WFDB) carry them; pictures and uncalibrated pages give none."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from support import waveform_files as wf
from tests_paths import MTECG

from mtecg.errors import RejectCode, Rejection
from mtecg.geometry import COLUMNS_3X4, LEADS, PANEL_H_MM
from mtecg.preprocess import exact_signals
from mtecg.synth.dataset import make_record
from mtecg.synth.header import Header
from mtecg.synth.layouts import LAYOUTS
from mtecg.synth.printout import pdf_bytes, render_pdf

SIGNALS = wf.known_signals()
HEADER = Header(lines=("Synthetic ECG for software testing",), settings="25 mm/s")


def _printout(layout: str) -> bytes:
    return pdf_bytes(render_pdf(LAYOUTS[layout], SIGNALS, HEADER))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_vector_printout_gives_back_its_signals(layout: str) -> None:
    got = exact_signals(_printout(layout))
    spec = LAYOUTS[layout]
    # The printer clips a trace at its panel's edge: those samples are not on the page.
    clip_mv = (PANEL_H_MM / 2 - spec.trace_width_mm / 2 - 0.15) / spec.gain_mm_per_mv
    for column, leads in enumerate(COLUMNS_3X4):
        for lead in leads:
            k = LEADS.index(lead)
            shown = ~np.isnan(got[k])
            window = np.flatnonzero(shown)
            # Column c shows 2.5 c .. 2.5 (c + 1) s (less a pen lift of up to 1.5 mm).
            assert window[0] == 1250 * column and 1250 - 40 <= len(window) <= 1250, lead
            usable = shown & (np.abs(SIGNALS[k]) < clip_mv)
            assert np.corrcoef(got[k][usable], SIGNALS[k][usable])[0, 1] >= 0.99, lead
            assert np.max(np.abs(got[k][usable] - SIGNALS[k][usable])) <= 0.05, lead


def test_pictures_have_no_signals() -> None:
    with pytest.raises(Rejection) as caught:
        exact_signals(make_record(3, "a4-3x4-3r", "png").data)
    assert caught.value.code is RejectCode.NO_SIGNALS


def test_a_page_without_calibration_pulses_gives_none(samples: Path) -> None:
    # dicom-ecg-plot draws each row as one path across four leads and no 1 mV pulse.
    data = (samples / "pdf" / "dicomecgplot_anonymous_ecg_3x4_1.pdf").read_bytes()
    with pytest.raises(Rejection) as caught:
        exact_signals(data)
    assert caught.value.code is RejectCode.NO_SIGNALS


def test_cli_writes_csv_and_wfdb(tmp_path: Path) -> None:
    pdf = tmp_path / "ecg.pdf"
    pdf.write_bytes(_printout("a4-3x4-3r"))
    done = subprocess.run(
        [
            str(MTECG),
            "preprocess",
            str(pdf),
            "--out",
            str(tmp_path / "c.png"),
            "--json",
            "--signals",
            str(tmp_path / "sig"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    written = json.loads(done.stdout)["signals"]
    assert [Path(p).name for p in written] == ["signals.csv", "signals.hea", "signals.dat"]
    rows = (tmp_path / "sig" / "signals.csv").read_text().splitlines()
    assert rows[0] == "time_s," + ",".join(LEADS) and len(rows) == 5001
    # At 1.0 s only the first column (I, II, III) is shown.
    cells = rows[1 + 500].split(",")
    assert cells[0] == "1.0000"
    assert [bool(c) for c in cells[1:]] == [lead in COLUMNS_3X4[0] for lead in LEADS]
    import wfdb

    record = wfdb.rdrecord(str(tmp_path / "sig" / "signals"))
    assert record.fs == 500 and record.sig_name == list(LEADS) and record.units == ["mV"] * 12
    csv_i = np.array([float(r.split(",")[1]) for r in rows[1:1201]])
    assert np.max(np.abs(record.p_signal[:1200, 0] - csv_i)) < 0.0011
