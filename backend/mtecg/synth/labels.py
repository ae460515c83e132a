"""Labels, clinical features and which ECG features a synthetic record expresses.

The label model follows docs/domain.md §7: scar prevalence about 35 %, LVEF < 50 % in about 30 %
and more often with a scar, clinical features mildly tied to both. What makes the set useful
for training is that labels do not map one to one onto the drawn features: a positive record
shows a random subset of its features at random strength (a few show none), and about one
negative in ten shows a mild look-alike. A network can then learn the task without it being
trivial (an ideal observer reaches an AUC of roughly 0.9-0.95, not 1.0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mtecg.synth.signals import Expression

SCAR_PREVALENCE = 0.35
LOW_EF_GIVEN_SCAR = 0.50
LOW_EF_GIVEN_NO_SCAR = 0.19  # overall low-EF prevalence: 0.35 * 0.50 + 0.65 * 0.19 = 0.30
LOW_EF_THRESHOLD = 50.0
SILENT_POSITIVE = 0.08  # positives that show none of their features (label noise)
LOOK_ALIKE_NEGATIVE = 0.10  # negatives with a mild look-alike feature

# Chance that a positive record shows each feature (poor R progression mostly with anterior scar).
_SCAR_FEATURES = {"q_wave": 0.75, "fragmentation": 0.45, "t_inversion": 0.55}
_POOR_R = {"anterior": 0.6, "inferior": 0.2, "lateral": 0.2}
_LOW_EF_FEATURES = {"lbbb": 0.55, "low_voltage": 0.5, "tachycardia": 0.5, "left_axis": 0.45}
_TERRITORY_P = {"inferior": 0.4, "anterior": 0.4, "lateral": 0.2}


@dataclass(frozen=True)
class Clinical:
    """The published clinical inputs (docs/domain.md §3): five 0/1 features and age in years."""

    female: int
    diabetes: int
    hypertension: int
    smoking: int
    dyslipidaemia: int
    age: int


@dataclass(frozen=True)
class Labels:
    """Ground truth of one record: scar (0/1), LVEF (%) and the clinical features."""

    scar: int
    lvef: float
    clinical: Clinical

    @property
    def low_ef(self) -> int:
        return int(self.lvef < LOW_EF_THRESHOLD)


def _bernoulli(rng: np.random.Generator, p: float) -> int:
    return int(rng.random() < p)


def draw_labels(rng: np.random.Generator) -> Labels:
    """Draws scar, LVEF and clinical features with the prevalences and correlations above."""
    scar = _bernoulli(rng, SCAR_PREVALENCE)
    low_ef = _bernoulli(rng, LOW_EF_GIVEN_SCAR if scar else LOW_EF_GIVEN_NO_SCAR)
    lvef = 15.0 + 34.9 * rng.beta(2.2, 1.6) if low_ef else 50.0 + 25.0 * rng.beta(2.0, 2.0)
    female = _bernoulli(rng, 0.45 - 0.15 * scar - 0.05 * low_ef)
    clinical = Clinical(
        female=female,
        diabetes=_bernoulli(rng, 0.22 + 0.12 * scar + 0.06 * low_ef),
        hypertension=_bernoulli(rng, 0.42 + 0.10 * scar + 0.05 * low_ef),
        smoking=_bernoulli(rng, (0.25 + 0.12 * scar) * (0.4 if female else 1.0)),
        dyslipidaemia=_bernoulli(rng, 0.35 + 0.12 * scar),
        age=int(np.clip(round(rng.normal(56.0 + 6.0 * scar + 3.0 * low_ef, 13.0)), 25, 90)),
    )
    return Labels(scar=scar, lvef=round(float(lvef), 1), clinical=clinical)


def _positive_strengths(
    chances: dict[str, float], severity: float, rng: np.random.Generator
) -> dict[str, float]:
    """Features a positive record shows: a random subset, at least one unless silent.

    Strength grows with `severity` in [0, 1] but keeps a random part, so severe cases are not
    all textbook cases.
    """
    if rng.random() < SILENT_POSITIVE:
        return {}
    shown = [name for name, p in chances.items() if rng.random() < p]
    if not shown:
        shown = [str(rng.choice(list(chances)))]
    return {
        name: float(np.clip(0.3 + 0.7 * (0.5 * severity + 0.5 * rng.random()), 0.3, 1.0))
        for name in shown
    }


def _look_alike(names: list[str], rng: np.random.Generator) -> dict[str, float]:
    """A mild version of one feature in a negative record, for about one negative in ten."""
    if rng.random() >= LOOK_ALIKE_NEGATIVE:
        return {}
    return {str(rng.choice(names)): float(rng.uniform(0.05, 0.35))}


def draw_expression(labels: Labels, rng: np.random.Generator) -> Expression:
    """Which docs/domain.md §7 features this record's ECG shows, and how strongly."""
    territories = list(_TERRITORY_P)
    territory = str(rng.choice(territories, p=list(_TERRITORY_P.values())))
    scar_chances = {**_SCAR_FEATURES, "poor_r_progression": _POOR_R[territory]}
    if labels.scar:
        strengths = _positive_strengths(scar_chances, rng.random(), rng)
    else:
        strengths = _look_alike(list(scar_chances), rng)
    if labels.low_ef:
        severity = (LOW_EF_THRESHOLD - labels.lvef) / 35.0
        strengths |= _positive_strengths(_LOW_EF_FEATURES, severity, rng)
    else:
        strengths |= _look_alike(list(_LOW_EF_FEATURES), rng)
    scar_shown = any(name in strengths for name in scar_chances)
    return Expression(territory=territory if scar_shown else None, **strengths)
