"""Label model: prevalences, correlations, and features that overlap between classes."""

from __future__ import annotations

import numpy as np
import pytest

from mtecg.synth.labels import Labels, draw_expression, draw_labels
from mtecg.synth.signals import TERRITORIES, Expression

N = 6000
SCAR_FEATURES = ("q_wave", "fragmentation", "poor_r_progression", "t_inversion")
LOW_EF_FEATURES = ("lbbb", "low_voltage", "tachycardia", "left_axis")


@pytest.fixture(scope="module")
def drawn() -> list[tuple[Labels, Expression]]:
    rng = np.random.default_rng(2024)
    out = []
    for _ in range(N):
        labels = draw_labels(rng)
        out.append((labels, draw_expression(labels, rng)))
    return out


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    pos, neg = scores[positive], scores[~positive]
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + 0.5 * ties)


def test_prevalences(drawn: list[tuple[Labels, Expression]]) -> None:
    scar = np.array([lab.scar for lab, _ in drawn], dtype=bool)
    low = np.array([lab.low_ef for lab, _ in drawn], dtype=bool)
    assert abs(scar.mean() - 0.35) < 0.03
    assert abs(low.mean() - 0.30) < 0.03
    assert low[scar].mean() > low[~scar].mean() + 0.2  # scar raises the chance of low EF


def test_lvef_is_continuous_and_matches_the_low_ef_label(
    drawn: list[tuple[Labels, Expression]],
) -> None:
    lvef = np.array([lab.lvef for lab, _ in drawn])
    low = np.array([lab.low_ef for lab, _ in drawn], dtype=bool)
    assert lvef.min() >= 15 and lvef.max() <= 75
    assert (lvef[low] < 50).all() and (lvef[~low] >= 50).all()
    assert len(np.unique(lvef)) > 300


def test_clinical_features_ranges_and_mild_correlation(
    drawn: list[tuple[Labels, Expression]],
) -> None:
    scar = np.array([lab.scar for lab, _ in drawn], dtype=bool)
    clinical = [lab.clinical for lab, _ in drawn]
    age = np.array([c.age for c in clinical])
    assert age.min() >= 25 and age.max() <= 90
    for name in ("female", "diabetes", "hypertension", "smoking", "dyslipidaemia"):
        values = np.array([getattr(c, name) for c in clinical])
        assert set(np.unique(values)) == {0, 1}
        assert 0.05 < values.mean() < 0.7
    female = np.array([c.female for c in clinical], dtype=bool)
    diabetes = np.array([c.diabetes for c in clinical], dtype=bool)
    assert female[scar].mean() < female[~scar].mean()
    assert diabetes[scar].mean() > diabetes[~scar].mean()
    assert age[scar].mean() > age[~scar].mean()
    # Mild: no clinical feature alone separates the classes.
    assert abs(female[scar].mean() - female[~scar].mean()) < 0.3


def test_features_follow_labels_with_overlap(
    drawn: list[tuple[Labels, Expression]],
) -> None:
    """Positives show some of their features, a few none; ~10 % of negatives show a mild one.

    An ideal observer reading the drawn feature strengths should do well but not perfectly.
    """
    for label, names in (("scar", SCAR_FEATURES), ("low_ef", LOW_EF_FEATURES)):
        positive = np.array([getattr(lab, label) for lab, _ in drawn], dtype=bool)
        strength = np.array([[e.strengths()[n] for n in names] for _, e in drawn])
        shown = (strength > 0).any(axis=1)
        assert 0.85 < shown[positive].mean() < 0.99  # some silent positives
        assert 0.05 < shown[~positive].mean() < 0.15  # mild look-alikes
        assert strength[~positive].max() <= 0.35  # ... and mild they are
        assert strength[positive].max(axis=1)[shown[positive]].min() >= 0.3
        # positives rarely show every feature: a random subset
        assert (strength[positive] > 0).all(axis=1).mean() < 0.3
        assert 0.85 < _auc(strength.sum(axis=1), positive) < 0.99


def test_scar_features_have_a_territory(drawn: list[tuple[Labels, Expression]]) -> None:
    for _, e in drawn:
        scar_shown = any(e.strengths()[n] > 0 for n in SCAR_FEATURES)
        assert (e.territory in TERRITORIES) if scar_shown else (e.territory is None)
    territories = {e.territory for _, e in drawn if e.territory}
    assert territories == set(TERRITORIES)


def test_severe_low_ef_shows_stronger_features(
    drawn: list[tuple[Labels, Expression]],
) -> None:
    pairs = [
        (lab.lvef, max(e.strengths()[n] for n in LOW_EF_FEATURES)) for lab, e in drawn if lab.low_ef
    ]
    lvef, strength = np.array(pairs).T
    shown = strength > 0
    assert np.corrcoef(lvef[shown], strength[shown])[0, 1] < -0.2
