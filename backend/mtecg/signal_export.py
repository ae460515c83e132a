"""The twelve signals of a screened input, written as CSV or as a WFDB record.

Where an input carries exact signals (a digital waveform file), they are what hospital tools
want back, in the two formats they read: CSV (``time_s`` then one column per lead, in mV) and a
WFDB record (``.hea`` + 16-bit ``.dat``, written by `wfdb`, 1 uV resolution). The signals are
those the canonical image was drawn from: 500 Hz, 10 s, LEADS order. Samples the input does not
show (NaN) are empty cells in CSV and WFDB's "no sample" value in the record.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Final

import numpy as np

from mtecg.geometry import LEADS
from mtecg.ingest.archive import make_archive
from mtecg.synth.signals import FS_HZ, Signals

RECORD_NAME: Final = "signals"
#: WFDB digital units per mV: 1 uV steps, +-32 mV range in 16 bits.
_ADC_GAIN: Final = 1000.0


def signals_csv(signals: Signals) -> str:
    """CSV text: a header row ``time_s,I,...,V6`` and one row per sample (mV, 4 decimals).

    A sample the input does not show (a 3 x 4 printout shows each lead for 2.5 s) is empty.
    """
    lines = [",".join(("time_s", *LEADS))]
    for k in range(signals.shape[1]):
        cells = ("" if np.isnan(v) else f"{v:.4f}" for v in signals[:, k])
        lines.append(f"{k / FS_HZ:.4f}," + ",".join(cells))
    return "\n".join(lines) + "\n"


def write_wfdb(signals: Signals, folder: Path) -> list[Path]:
    """Writes ``signals.hea`` and ``signals.dat`` into `folder`; returns their paths."""
    import wfdb

    folder.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(
        RECORD_NAME,
        fs=FS_HZ,
        units=["mV"] * len(LEADS),
        sig_name=list(LEADS),
        p_signal=np.ascontiguousarray(signals.T),
        fmt=["16"] * len(LEADS),
        adc_gain=[_ADC_GAIN] * len(LEADS),
        baseline=[0] * len(LEADS),
        write_dir=str(folder),
    )
    return [folder / f"{RECORD_NAME}.hea", folder / f"{RECORD_NAME}.dat"]


def wfdb_archive(signals: Signals) -> bytes:
    """The WFDB record as a ZIP (what the API returns, and what it reads back)."""
    with tempfile.TemporaryDirectory(prefix="mtecg-export-") as folder:
        paths = write_wfdb(signals, Path(folder))
        return make_archive({path.name: path.read_bytes() for path in paths})


def write_signals(signals: Signals, folder: Path) -> list[Path]:
    """`folder`/signals.csv and the WFDB record beside it (the CLI's ``--signals``)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"{RECORD_NAME}.csv"
    csv_path.write_text(signals_csv(signals), encoding="ascii")
    return [csv_path, *write_wfdb(signals, folder)]
