"""Evaluation metrics against first-principles definitions, on random and crafted data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mtecg.training.metrics import (
    auc,
    bootstrap_auc,
    operating_point,
    prevalence_auc,
    roc_curve,
)


def pairwise_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """P(score of a random positive > score of a random negative), ties counting half."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(5))
def test_auc_equals_the_pairwise_probability(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 80)
    scores = np.round(rng.random(80) + 0.3 * labels, 1)  # rounding makes ties
    assert auc(labels, scores) == pytest.approx(pairwise_auc(labels, scores))


def test_auc_extremes_and_one_class() -> None:
    labels = np.array([0, 0, 1, 1])
    assert auc(labels, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auc(labels, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert np.isnan(auc([1, 1], [0.2, 0.3]))


def test_roc_curve_area_matches_auc() -> None:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 200)
    scores = rng.random(200) + 0.5 * labels
    fpr, tpr = roc_curve(labels, scores)
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(auc(labels, scores))


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_data() -> None:
    rng = np.random.default_rng(3)

    def width(n: int) -> float:
        labels = rng.integers(0, 2, n)
        scores = rng.random(n) + 0.4 * labels
        interval = bootstrap_auc(labels, scores, resamples=300, seed=1)
        assert interval.low <= interval.value <= interval.high
        return interval.high - interval.low

    assert width(2000) < width(100)


def test_bootstrap_is_reproducible_for_a_seed() -> None:
    labels = np.array([0, 1] * 30)
    scores = np.linspace(0, 1, 60)
    assert bootstrap_auc(labels, scores, 200, seed=5) == bootstrap_auc(labels, scores, 200, 5)


def test_operating_point_counts() -> None:
    labels = np.array([1, 1, 1, 0, 0, 0, 0])
    scores = np.array([0.9, 0.6, 0.2, 0.7, 0.1, 0.3, 0.4])
    point = operating_point(labels, scores, 0.5)
    assert (point.true_positive, point.false_negative) == (2, 1)
    assert (point.false_positive, point.true_negative) == (1, 3)
    assert point.sensitivity == pytest.approx(2 / 3)
    assert point.specificity == pytest.approx(3 / 4)
    assert point.accuracy == pytest.approx(5 / 7)
    precision = 2 / 3
    assert point.f1 == pytest.approx(2 * precision * (2 / 3) / (precision + 2 / 3))


def test_prevalence_analysis_keeps_a_prevalence_free_auc() -> None:
    """AUC does not depend on prevalence: resampling to 10 % keeps it near the full-set AUC."""
    rng = np.random.default_rng(11)
    labels = (rng.random(600) < 0.4).astype(int)
    scores = rng.normal(size=600) + 1.2 * labels
    full = auc(labels, scores)
    resampled = prevalence_auc(labels, scores, prevalence=0.1, repeats=300, seed=2)
    assert resampled.low < full < resampled.high
    assert abs(resampled.value - full) < 0.03
    with pytest.raises(ValueError):
        prevalence_auc(labels, scores, prevalence=1.0)


def test_roc_plot_draws_each_curve(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    from mtecg.training.roc_plot import Curve, draw_roc

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 100)
    curves = [
        Curve("scar AUC 0.80", *roc_curve(labels, rng.random(100) + 0.5 * labels)),
        Curve("LVEF<50 AUC 0.90", *roc_curve(labels, rng.random(100) + labels)),
    ]
    path = tmp_path / "roc.png"
    draw_roc(curves, "held-out synthetic set", path)
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    for colour in ((200, 40, 40), (30, 90, 200)):
        assert (pixels == colour).all(axis=1).sum() > 200  # each curve is drawn
