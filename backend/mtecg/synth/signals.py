"""Synthetic 12-lead ECG signals from a parametric beat model, with pathology knobs.

Each beat is a sum of smooth bumps (P, septal q, R, S, T, and the pathological extras). A
bump has a time course and an amplitude per *independent* channel: the frontal-plane vector
(amplitude, angle) projected on leads I and II, plus one amplitude per chest lead. Leads III,
aVR, aVL and aVF are then derived with Einthoven's and Goldberger's equations, so the six limb
leads are always mutually consistent, as on a real recording, and noise and baseline wander
obey the same equations.

The knobs (`Expression`) are continuous strengths in [0, 1], so a data set can show each
feature partly, which is what makes a learned classifier's task realistic rather than trivial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mtecg.geometry import LEADS

FS_HZ = 500
DURATION_S = 10.0
N_SAMPLES = round(FS_HZ * DURATION_S)

Signals = npt.NDArray[np.float64]  # (12, N_SAMPLES) in mV, rows in `LEADS` order
FloatArray = npt.NDArray[np.float64]

# Independent channels the beat model writes: I, II, V1..V6. The other limb leads are derived.
_CHEST = ("V1", "V2", "V3", "V4", "V5", "V6")
_N_CHANNELS = 2 + len(_CHEST)

# Territories of a myocardial scar (docs/domain.md §7): the frontal direction the lost forces
# pointed to (None: no frontal component) and how strongly each chest lead faces the territory.
TERRITORIES: dict[str, tuple[float | None, tuple[float, ...]]] = {
    "inferior": (90.0, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
    "anterior": (None, (0.7, 1.0, 1.0, 0.8, 0.2, 0.0)),
    "lateral": (-15.0, (0.0, 0.0, 0.0, 0.2, 0.8, 1.0)),
}
TERRITORY_LEADS: dict[str, tuple[str, ...]] = {
    "inferior": ("II", "III", "aVF"),
    "anterior": ("V1", "V2", "V3", "V4"),
    "lateral": ("I", "aVL", "V5", "V6"),
}


@dataclass(frozen=True)
class Expression:
    """How strongly each feature of docs/domain.md §7 shows in one record (0 = absent, 1 = full).

    Scar features act on `territory` (a key of TERRITORIES, or None when no scar feature shows).
    """

    territory: str | None = None
    q_wave: float = 0.0
    fragmentation: float = 0.0
    poor_r_progression: float = 0.0
    t_inversion: float = 0.0
    lbbb: float = 0.0
    low_voltage: float = 0.0
    tachycardia: float = 0.0
    left_axis: float = 0.0

    def strengths(self) -> dict[str, float]:
        """The feature strengths by name (without the territory)."""
        return {
            "q_wave": self.q_wave,
            "fragmentation": self.fragmentation,
            "poor_r_progression": self.poor_r_progression,
            "t_inversion": self.t_inversion,
            "lbbb": self.lbbb,
            "low_voltage": self.low_voltage,
            "tachycardia": self.tachycardia,
            "left_axis": self.left_axis,
        }


@dataclass(frozen=True)
class Measurements:
    """Header figures, measured on the noise-free beat as an ECG machine measures its median."""

    heart_rate_bpm: int
    pr_ms: int
    qrs_ms: int
    qt_ms: int
    qtc_ms: int
    p_axis_deg: int
    qrs_axis_deg: int
    t_axis_deg: int


@dataclass(frozen=True)
class ECG:
    """A 10 s, 500 Hz, 12-lead recording in mV (rows in `LEADS` order) and its header figures."""

    signals: Signals
    measurements: Measurements


def _frontal(amplitude: float, angle_deg: float) -> tuple[float, float]:
    """Projection of a frontal-plane vector on leads I (0 deg) and II (60 deg)."""
    theta = np.deg2rad(angle_deg)
    return amplitude * float(np.cos(theta)), amplitude * float(np.cos(theta - np.pi / 3))


def _channels(
    frontal: tuple[float, float] = (0.0, 0.0), chest: FloatArray | tuple[float, ...] | None = None
) -> FloatArray:
    out = np.zeros(_N_CHANNELS)
    out[:2] = frontal
    if chest is not None:
        out[2:] = chest
    return out


def _bump(t: FloatArray, centre: float, left: float, right: float | None = None) -> FloatArray:
    """An asymmetric Gaussian: `left`/`right` are the widths (s) before and after the peak."""
    sigma = np.where(t < centre, left, left if right is None else right)
    out: FloatArray = np.exp(-0.5 * ((t - centre) / sigma) ** 2)
    return out


def _derive_limb_leads(ch: FloatArray) -> Signals:
    """Expands (I, II, V1..V6) into the 12 leads with Einthoven's and Goldberger's equations."""
    lead_i, lead_ii = ch[0], ch[1]
    derived = {
        "I": lead_i,
        "II": lead_ii,
        "III": lead_ii - lead_i,
        "aVR": -(lead_i + lead_ii) / 2,
        "aVL": lead_i - lead_ii / 2,
        "aVF": lead_ii - lead_i / 2,
    }
    derived.update(zip(_CHEST, ch[2:], strict=True))
    return np.stack([derived[lead] for lead in LEADS])


class _Beat:
    """One beat on the independent channels, built wave by wave on a time axis around R.

    QRS waves are also summed apart, so the QRS duration printed in the header is measured on
    what is drawn, as an ECG machine measures it, rather than assumed.
    """

    def __init__(self) -> None:
        self.t = np.arange(round(-0.40 * FS_HZ), round(0.65 * FS_HZ)) / FS_HZ
        self.chans = np.zeros((_N_CHANNELS, len(self.t)))
        self.qrs = np.zeros_like(self.chans)

    def add(self, shape: FloatArray, amps: FloatArray, qrs: bool = False) -> None:
        wave = np.outer(amps, shape)
        self.chans += wave
        if qrs:
            self.qrs += wave

    def qrs_span(self) -> tuple[float, float]:
        """Onset and end (s) of the QRS: where its summed magnitude exceeds 5 % of its peak."""
        magnitude = np.abs(self.qrs).sum(axis=0)
        inside = np.flatnonzero(magnitude > 0.05 * magnitude.max())
        return float(self.t[inside[0]]), float(self.t[inside[-1]])

    def axis_deg(self, window: npt.NDArray[np.bool_]) -> int:
        """Frontal axis of the net area in a window, from leads I and II."""
        lead_i, lead_ii = self.chans[0, window].sum(), self.chans[1, window].sum()
        return round(float(np.degrees(np.arctan2((2 * lead_ii - lead_i) / np.sqrt(3), lead_i))))


def _beat_template(
    e: Expression, rng: np.random.Generator, rr_s: float
) -> tuple[FloatArray, FloatArray, Measurements]:
    """One beat (time axis relative to R, channels I, II, V1..V6) and its header figures.

    Narrow QRS waves are weighted by (1 - lbbb) and the left-bundle-branch-block waves by
    lbbb, so intermediate strengths give intermediate shapes and widths.
    """
    beat = _Beat()
    t = beat.t
    normal_axis = float(np.clip(rng.normal(45.0, 20.0), -15.0, 85.0))
    axis = (1 - e.left_axis) * normal_axis + e.left_axis * rng.uniform(-65.0, -35.0)
    limb_gain = 1.0 - 0.7 * e.low_voltage
    b, n = e.lbbb, 1.0 - e.lbbb
    chest_gain = rng.uniform(0.8, 1.15)
    r_amp = rng.uniform(0.9, 1.5) * limb_gain
    k = rng.uniform(0.95, 1.25)  # time scale of the narrow QRS: its duration varies ~75-100 ms

    # Narrow QRS: septal q, R, S. Chest R rises V1 -> V5 while S falls.
    r_chest = np.array([0.25, 0.55, 0.95, 1.35, 1.35, 1.05]) * chest_gain
    s_chest = -np.array([1.0, 1.4, 0.95, 0.5, 0.2, 0.08]) * chest_gain
    q_chest = np.array([0.08, 0.06, 0.0, -0.05, -0.10, -0.10]) * chest_gain
    r_chest *= 1 - np.array([0.3, 0.5, 0.75, 0.55, 0.0, 0.0]) * e.poor_r_progression
    if e.territory is not None:
        r_chest *= 1 - 0.75 * e.q_wave * np.array(TERRITORIES[e.territory][1])
    septal = _channels(_frontal(0.12 * limb_gain, axis + 160.0), q_chest)
    beat.add(_bump(t, -0.024 * k, 0.007 * k), n * septal, qrs=True)
    beat.add(_bump(t, 0.0, 0.0095 * k), n * _channels(_frontal(r_amp, axis), r_chest), qrs=True)
    terminal = _channels(_frontal(0.3 * limb_gain, -135.0), s_chest)
    beat.add(_bump(t, 0.03 * k, 0.009 * k), n * terminal, qrs=True)

    # LBBB: broad notched R towards the left (I, aVL, V5, V6), deep broad S in V1-V3.
    lbbb_axis = min(axis, 35.0) - 10.0  # the late forces point left: I and aVL upright
    if b > 0:
        hump_chest = np.array([0.0, 0.0, 0.1, 0.5, 0.95, 0.85]) * chest_gain
        s_lbbb = -np.array([1.2, 1.4, 1.1, 0.4, 0.0, 0.0]) * chest_gain
        first = _channels(_frontal(0.8 * r_amp, lbbb_axis), 0.85 * hump_chest)
        beat.add(_bump(t, -0.018, 0.021), b * first, qrs=True)
        second = _channels(_frontal(0.9 * r_amp, lbbb_axis), hump_chest)
        beat.add(_bump(t, 0.032, 0.022), b * second, qrs=True)
        beat.add(_bump(t, 0.015, 0.028), b * _channels(chest=s_lbbb), qrs=True)

    scar = _Scar(e, e.territory, beat) if e.territory is not None else None
    if scar is not None:
        scar.add_qrs(r_amp, rng)
    qrs_onset, qrs_end = beat.qrs_span()

    # P wave: atrial depolarisation, the PR interval before the QRS onset.
    pr_s = rng.uniform(0.13, 0.19)
    p_centre = qrs_onset - pr_s + 0.05
    p_chest = np.array([0.05, 0.08, 0.08, 0.08, 0.07, 0.06]) * chest_gain
    p_frontal = _frontal(0.15 * limb_gain, rng.uniform(40.0, 70.0))
    beat.add(_bump(t, p_centre, 0.022), _channels(p_frontal, p_chest))

    # T wave: concordant with the QRS normally, discordant (secondary) with LBBB.
    qrs_s = qrs_end - qrs_onset
    qt_s = rng.uniform(0.38, 0.42) * np.sqrt(rr_s) + 0.5 * max(0.0, qrs_s - 0.1)
    t_amp = rng.uniform(0.25, 0.4) * (0.6 + 0.4 * limb_gain)
    t_chest = np.array([0.05, 0.45, 0.5, 0.45, 0.35, 0.25]) * chest_gain * n
    t_chest += np.array([0.35, 0.5, 0.4, 0.0, -0.3, -0.3]) * chest_gain * b
    t_frontal = np.add(
        _frontal(n * t_amp, axis + rng.uniform(-25.0, 15.0)), _frontal(b * t_amp, lbbb_axis + 180.0)
    )
    t_end = qrs_onset + qt_s
    t_shape = _bump(t, t_end - 0.09, 0.055, 0.035)
    beat.add(t_shape, _channels((float(t_frontal[0]), float(t_frontal[1])), t_chest))
    if scar is not None:
        scar.add_t_inversion(t_shape, t_chest)

    measurements = Measurements(
        heart_rate_bpm=round(60.0 / rr_s),
        pr_ms=round(1000 * pr_s),
        qrs_ms=round(1000 * qrs_s),
        qt_ms=round(1000 * qt_s),
        qtc_ms=round(1000 * qt_s / np.sqrt(rr_s)),
        p_axis_deg=beat.axis_deg(abs(t - p_centre) < 0.05),
        qrs_axis_deg=beat.axis_deg((t >= qrs_onset) & (t <= qrs_end)),
        t_axis_deg=beat.axis_deg((t > t_end - 0.2) & (t < t_end)),
    )
    return t, beat.chans, measurements


class _Scar:
    """The scar features of docs/domain.md §7 in one territory.

    A scar is modelled as lost electrical forces towards its territory: an early vector pointing
    away from it (pathological Q), less R towards it, notches in the QRS (fragmentation) and a
    T vector turned away from it (T-wave inversion).
    """

    def __init__(self, e: Expression, territory: str, beat: _Beat) -> None:
        self.e, self.beat = e, beat
        self.direction, weights = TERRITORIES[territory]
        self.weights = np.array(weights)

    def _frontal(self, amplitude: float) -> tuple[float, float]:
        return (0.0, 0.0) if self.direction is None else _frontal(amplitude, self.direction)

    def add_qrs(self, r_amp: float, rng: np.random.Generator) -> None:
        e, t, w = self.e, self.beat.t, self.weights
        if e.q_wave > 0:
            q = e.q_wave
            q_shape = _bump(t, -0.03, 0.010 + 0.005 * q, 0.008)  # >= 40 ms wide at full strength
            q_amps = _channels(self._frontal(-0.6 * q), -(0.25 + 0.5 * q) * w)
            self.beat.add(q_shape, q_amps, qrs=True)
            lost_r = _channels(self._frontal(-0.55 * q * r_amp))
            self.beat.add(_bump(t, 0.0, 0.0095), lost_r, qrs=True)
        if e.fragmentation > 0:
            # A notch splitting the R peak (RSR'), then one or two in the S wave, alternating.
            late = rng.uniform(0.012, 0.04, int(rng.integers(1, 3)))
            centres = np.concatenate([[rng.uniform(-0.005, 0.005)], np.sort(late)])
            notch_chest = np.where(w > 0, np.maximum(w, 0.5), 0.0)
            for i, centre in enumerate(centres):
                amp = (0.1 + 0.25 * e.fragmentation) * (-1 if i % 2 == 0 else 1)
                notch = _channels(self._frontal(amp), amp * notch_chest)
                self.beat.add(_bump(t, float(centre), 0.004), notch, qrs=True)

    def add_t_inversion(self, t_shape: FloatArray, t_chest: FloatArray) -> None:
        s = self.e.t_inversion
        if s > 0:
            inverted = _channels(self._frontal(-0.6 * s), -2.0 * s * self.weights * t_chest)
            self.beat.add(t_shape, inverted)


def _beat_times(heart_rate: float, rng: np.random.Generator) -> FloatArray:
    """R-peak times over the record (and one before it), with sinus arrhythmia and jitter."""
    rr = 60.0 / heart_rate
    times = [rng.uniform(-rr, 0.0)]
    resp_hz, phase = rng.uniform(0.2, 0.33), rng.uniform(0, 2 * np.pi)
    while times[-1] < DURATION_S + 0.5:
        modulation = 1 + 0.03 * np.sin(2 * np.pi * resp_hz * times[-1] + phase)
        times.append(times[-1] + rr * modulation * (1 + rng.normal(0.0, 0.01)))
    return np.array(times)


def _baseline_and_noise(rng: np.random.Generator) -> FloatArray:
    """Baseline wander (slow sinusoids, like breathing and electrode drift) and small noise."""
    time = np.arange(N_SAMPLES) / FS_HZ
    out = np.zeros((_N_CHANNELS, N_SAMPLES))
    for ch in range(_N_CHANNELS):
        for _ in range(2):
            freq, phase = rng.uniform(0.05, 0.45), rng.uniform(0, 2 * np.pi)
            out[ch] += rng.uniform(0.0, 0.08) * np.sin(2 * np.pi * freq * time + phase)
    out += rng.normal(0.0, rng.uniform(0.004, 0.015), out.shape)
    return out


def synthesize(e: Expression, rng: np.random.Generator) -> ECG:
    """Draws one 10 s 12-lead recording that shows the features of `e` (plus normal variation)."""
    base_hr = float(np.clip(rng.normal(72.0, 10.0), 50.0, 95.0))
    heart_rate = (1 - e.tachycardia) * base_hr + e.tachycardia * rng.uniform(102.0, 125.0)
    rr_s = 60.0 / heart_rate
    t, template, measurements = _beat_template(e, rng, rr_s)
    chans = _baseline_and_noise(rng)
    start = round(t[0] * FS_HZ)
    for beat in _beat_times(heart_rate, rng):
        i0 = round(beat * FS_HZ) + start
        lo, hi = max(i0, 0), min(i0 + template.shape[1], N_SAMPLES)
        if hi > lo:
            scale = 1.0 + rng.normal(0.0, 0.02)
            chans[:, lo:hi] += scale * template[:, lo - i0 : hi - i0]
    return ECG(_derive_limb_leads(chans), measurements)
