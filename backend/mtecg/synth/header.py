"""The printed header: fake patient identifiers and the machine's measurement line.

Real printouts carry a name, a hospital number and a date above the traces; the layout
stage must cope with that text (and never store it). Every identifier here is drawn at random
and the header says the record is synthetic, so no file can be mistaken for a patient's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from mtecg.synth.labels import Labels
from mtecg.synth.signals import Measurements

_GIVEN = ("Somchai", "Suda", "Anan", "Kanya", "Prasert", "Malee", "Niran", "Ratana", "Wichai")
_SYLLABLES = ("wong", "sri", "chai", "kit", "pong", "sak", "thong", "rat", "nop", "phan", "sut")


@dataclass(frozen=True)
class Header:
    """Text lines printed above the block (left) and the recording settings (right)."""

    lines: tuple[str, ...]
    settings: str


def _fake_name(rng: np.random.Generator) -> str:
    surname = "".join(str(s) for s in rng.choice(_SYLLABLES, int(rng.integers(2, 4))))
    return f"{rng.choice(_GIVEN)} {surname.capitalize()} (SYNTHETIC)"


def draw_header(
    labels: Labels,
    m: Measurements,
    gain_mm_per_mv: float,
    rng: np.random.Generator,
    speed_mm_s: float = 25.0,
) -> Header:
    """Fake identity, date and measurements for one printout."""
    day = date(2017, 1, 1) + timedelta(days=int(rng.integers(0, 7 * 365)))
    clock = f"{int(rng.integers(7, 19)):02d}:{int(rng.integers(0, 60)):02d}"
    hn = f"{int(rng.integers(10, 99))}-{int(rng.integers(100000, 999999))}"
    sex = "Female" if labels.clinical.female else "Male"
    lines = (
        f"Name: {_fake_name(rng)}    HN: {hn}    {day.isoformat()} {clock}",
        f"Sex: {sex}    Age: {labels.clinical.age} years    Room: ECG {int(rng.integers(1, 9))}",
        f"Vent. rate {m.heart_rate_bpm} BPM    PR int {m.pr_ms} ms    QRS dur {m.qrs_ms} ms    "
        f"QT/QTc {m.qt_ms}/{m.qtc_ms} ms    P-R-T axes {m.p_axis_deg} {m.qrs_axis_deg} "
        f"{m.t_axis_deg}",
        "Synthetic ECG for software testing - not a patient record - unconfirmed",
    )
    settings = f"{speed_mm_s:g} mm/s    {gain_mm_per_mv:g} mm/mV    0.05-150 Hz"
    return Header(lines=lines, settings=settings)
