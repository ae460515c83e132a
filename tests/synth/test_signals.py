"""The beat model: lead consistency and the pathology knobs, measured on the samples."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.signal import find_peaks
from synth_checks import median_beat, qrs_peaks, qrs_width_ms

from mtecg.geometry import LEADS
from mtecg.synth.signals import (
    DURATION_S,
    FS_HZ,
    TERRITORY_LEADS,
    Expression,
    synthesize,
)

SEEDS = range(6)
LIMB = LEADS[:6]


def _ecg(seed: int, **knobs: Any) -> np.ndarray:
    return synthesize(Expression(**knobs), np.random.default_rng(seed)).signals


def _lead(signals: np.ndarray, name: str) -> np.ndarray:
    return signals[LEADS.index(name)]


def _waves(signals: np.ndarray) -> dict[str, np.ndarray]:
    """Per lead, from the median beat against its PR-segment level: q depth, R height, the
    T-wave peak (signed) and the largest QRS deflection."""
    beat = median_beat(signals)
    zero = round(0.3 * FS_HZ)

    def window(a: float, b: float) -> np.ndarray:
        return beat[:, zero + round(a * FS_HZ) : zero + round(b * FS_HZ)]

    level = window(-0.10, -0.075).mean(axis=1, keepdims=True)
    t = window(0.15, 0.40) - level
    return {
        "q": -(window(-0.08, 0.0) - level).min(axis=1),
        "r": (window(-0.03, 0.06) - level).max(axis=1),
        "t": np.where(t.max(axis=1) > -t.min(axis=1), t.max(axis=1), t.min(axis=1)),
        "qrs_amp": np.abs(window(-0.07, 0.08) - level).max(axis=1),
    }


def test_shape_and_limb_lead_equations() -> None:
    signals = _ecg(1, lbbb=0.5, territory="lateral", q_wave=0.7)
    assert signals.shape == (12, round(DURATION_S * FS_HZ))
    lead = {name: _lead(signals, name) for name in LIMB}
    # Einthoven: III = II - I; Goldberger: aVR + aVL + aVF = 0, aVR = -(I + II) / 2.
    np.testing.assert_allclose(lead["III"], lead["II"] - lead["I"], atol=1e-12)
    np.testing.assert_allclose(lead["aVR"] + lead["aVL"] + lead["aVF"], 0.0, atol=1e-12)
    np.testing.assert_allclose(lead["aVR"], -(lead["I"] + lead["II"]) / 2, atol=1e-12)


def test_normal_record_is_plausible() -> None:
    for seed in SEEDS:
        signals = _ecg(seed)
        assert np.abs(signals).max() < 4.0
        peaks, _ = qrs_peaks(signals)
        heart_rate = 60.0 * FS_HZ / np.median(np.diff(peaks))
        assert 45 <= heart_rate <= 100
        assert 60 <= qrs_width_ms(signals) <= 110


def test_same_seed_same_signals_different_seed_different() -> None:
    np.testing.assert_array_equal(_ecg(3), _ecg(3))
    assert not np.allclose(_ecg(3), _ecg(4))


def test_lbbb_widens_the_qrs_to_120_ms_and_more() -> None:
    for seed in SEEDS:
        normal, lbbb = _ecg(seed), _ecg(seed, lbbb=1.0)
        assert qrs_width_ms(normal) < 110
        assert qrs_width_ms(lbbb) >= 120
        header = synthesize(Expression(lbbb=1.0), np.random.default_rng(seed)).measurements
        assert header.qrs_ms >= 120


def test_header_qrs_duration_agrees_with_the_drawn_qrs() -> None:
    for seed in SEEDS:
        ecg = synthesize(Expression(), np.random.default_rng(seed))
        assert abs(ecg.measurements.qrs_ms - qrs_width_ms(ecg.signals)) <= 20


def test_lbbb_shape_broad_r_left_deep_s_in_v1() -> None:
    for seed in SEEDS:
        signals = _ecg(seed, lbbb=1.0)
        w = _waves(signals)
        beat = median_beat(signals)
        zero = round(0.3 * FS_HZ)
        v1 = beat[LEADS.index("V1"), zero - round(0.05 * FS_HZ) : zero + round(0.05 * FS_HZ)]
        v1 = (
            v1
            - beat[
                LEADS.index("V1"),
                zero - round(0.10 * FS_HZ) : zero - round(0.075 * FS_HZ),
            ].mean()
        )
        assert v1.min() < -0.7 and -v1.min() > 2 * v1.max()  # deep S, at most a small r
        for name in ("I", "V6"):
            i = LEADS.index(name)
            assert w["r"][i] > 0.3 and w["q"][i] < 0.1  # upright, no septal q


@pytest.mark.parametrize("territory", sorted(TERRITORY_LEADS))
def test_scar_q_waves_in_two_contiguous_leads_of_its_territory(territory: str) -> None:
    leads = [LEADS.index(name) for name in TERRITORY_LEADS[territory]]
    for seed in SEEDS:
        scar = _waves(_ecg(seed, territory=territory, q_wave=1.0))
        normal = _waves(_ecg(seed))

        def pathological(w: dict[str, np.ndarray]) -> int:
            q, r = w["q"][leads], w["r"][leads]
            return int(((q >= 0.25 * r) & (q > 0.1)).sum())

        assert pathological(scar) >= 2
        assert pathological(normal) <= 1


@pytest.mark.parametrize("territory", sorted(TERRITORY_LEADS))
def test_t_wave_inversion_in_the_scar_territory(territory: str) -> None:
    leads = [LEADS.index(name) for name in TERRITORY_LEADS[territory]]
    inverted_counts = []
    for seed in SEEDS:
        t = _waves(_ecg(seed, territory=territory, t_inversion=1.0))["t"][leads]
        t_normal = _waves(_ecg(seed))["t"][leads]
        assert (t < 0).sum() >= 2
        assert t.mean() < t_normal.mean() - 0.15
        inverted_counts.append(int((t_normal < 0).sum()))
    assert np.mean(inverted_counts) < 1.0


def test_poor_r_wave_progression_lowers_r_in_v2_v4() -> None:
    chest = [LEADS.index(name) for name in ("V2", "V3", "V4")]
    for seed in SEEDS:
        poor = _waves(_ecg(seed, poor_r_progression=1.0))["r"][chest]
        normal = _waves(_ecg(seed))["r"][chest]
        assert (poor < 0.6 * normal).all()


def test_low_ef_features_low_voltage_tachycardia_left_axis() -> None:
    for seed in SEEDS:
        low = _waves(_ecg(seed, low_voltage=1.0))["qrs_amp"][:6]
        normal = _waves(_ecg(seed))["qrs_amp"][:6]
        assert low.max() < 0.5 < normal.max()

        peaks, _ = qrs_peaks(_ecg(seed, tachycardia=1.0))
        assert 60.0 * FS_HZ / np.median(np.diff(peaks)) >= 100

        beat = median_beat(_ecg(seed, left_axis=1.0))
        zero = round(0.3 * FS_HZ)
        qrs = beat[:, zero - round(0.06 * FS_HZ) : zero + round(0.06 * FS_HZ)]
        net_i = qrs[LEADS.index("I")].sum()
        net_avf = qrs[LEADS.index("aVF")].sum()
        axis = np.degrees(np.arctan2(net_avf, net_i))
        assert -90 <= axis <= -30


@pytest.mark.parametrize("territory", sorted(TERRITORY_LEADS))
def test_fragmentation_adds_notches_to_the_qrs(territory: str) -> None:
    """Fragmentation is subtle by design: most records (not all) show extra QRS deflections."""
    leads = [LEADS.index(name) for name in TERRITORY_LEADS[territory]]

    def deflections(signals: np.ndarray) -> int:
        """Peaks and troughs of at least 0.05 mV in the QRS of the median beat."""
        beat = median_beat(signals)
        zero = round(0.3 * FS_HZ)
        qrs = beat[leads, zero - round(0.05 * FS_HZ) : zero + round(0.06 * FS_HZ)]
        return sum(len(find_peaks(sign * x, prominence=0.05)[0]) for x in qrs for sign in (1, -1))

    extra = [
        deflections(_ecg(seed, territory=territory, fragmentation=1.0)) - deflections(_ecg(seed))
        for seed in SEEDS
    ]
    assert sum(e >= 2 for e in extra) >= 4
    assert np.mean(extra) >= 2
