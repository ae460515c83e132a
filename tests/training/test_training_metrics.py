"""Evaluation metrics: the study's figures as scikit-learn and matplotlib compute and draw them.

The references are the libraries themselves (`sklearn.metrics`, `sklearn.calibration`) applied
to the same data, plus properties that hold whatever the implementation (a bootstrap interval
contains its estimate and narrows with more data; AUC does not depend on prevalence).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve

from mtecg.training.metrics import (
    auc,
    bootstrap_auc,
    operating_point,
    prevalence_auc,
    roc_curve,
    youden_threshold,
)
from mtecg.training.plots import COLOURS, Calibration, Curve, draw_calibration, draw_roc


def noisy_scores(seed: int, n: int = 80, separation: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    return labels, np.round(rng.random(n) + separation * labels, 1)  # rounding makes ties


@pytest.mark.parametrize("seed", range(3))
def test_auc_is_sklearns_roc_auc(seed: int) -> None:
    labels, scores = noisy_scores(seed)
    assert auc(labels, scores) == sk.roc_auc_score(labels, scores)


def test_auc_of_one_class_is_undefined() -> None:
    assert np.isnan(auc([1, 1], [0.2, 0.3]))


def test_roc_curve_is_sklearns_with_every_threshold() -> None:
    labels, scores = noisy_scores(7, n=200, separation=0.5)
    fpr, tpr = roc_curve(labels, scores)
    ref_fpr, ref_tpr, _ = sk.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_array_equal(fpr, ref_fpr)
    np.testing.assert_array_equal(tpr, ref_tpr)
    assert sk.auc(fpr, tpr) == pytest.approx(sk.roc_auc_score(labels, scores))


def test_youden_threshold_maximises_sensitivity_plus_specificity() -> None:
    labels, scores = noisy_scores(5, n=300, separation=0.4)
    threshold = youden_threshold(labels, scores)
    best = operating_point(labels, scores, threshold)
    for cut in np.unique(scores):
        other = operating_point(labels, scores, float(cut))
        assert other.sensitivity + other.specificity <= best.sensitivity + best.specificity
    assert youden_threshold([1, 1, 1], [0.2, 0.5, 0.9]) == 0.5  # one class: nothing to separate


def test_bootstrap_is_a_seeded_resample_of_sklearns_auc() -> None:
    labels, scores = noisy_scores(2, n=120)
    rng = np.random.default_rng(9)
    values = []
    for _ in range(200):
        pick = rng.integers(0, len(labels), len(labels))
        if len(set(labels[pick])) == 2:
            values.append(sk.roc_auc_score(labels[pick], scores[pick]))
    interval = bootstrap_auc(labels, scores, resamples=200, seed=9)
    assert interval.value == sk.roc_auc_score(labels, scores)
    assert (interval.low, interval.high) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])))


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_data() -> None:
    def width(n: int) -> float:
        labels, scores = noisy_scores(3, n=n, separation=0.4)
        interval = bootstrap_auc(labels, scores, resamples=300, seed=1)
        assert interval.low <= interval.value <= interval.high
        return interval.high - interval.low

    assert width(2000) < width(100)


def test_operating_point_matches_sklearns_figures() -> None:
    labels, scores = noisy_scores(4, n=150)
    point = operating_point(labels, scores, 0.6)
    predicted = (scores >= 0.6).astype(int)
    tn, fp, fn, tp = sk.confusion_matrix(labels, predicted).ravel()
    assert (point.true_negative, point.false_positive) == (tn, fp)
    assert (point.false_negative, point.true_positive) == (fn, tp)
    assert point.accuracy == pytest.approx(sk.accuracy_score(labels, predicted))
    assert point.sensitivity == pytest.approx(sk.recall_score(labels, predicted))
    assert point.specificity == pytest.approx(sk.recall_score(labels, predicted, pos_label=0))
    assert point.f1 == pytest.approx(sk.f1_score(labels, predicted))


def test_operating_point_leaves_undefined_rates_undefined() -> None:
    point = operating_point([0, 0, 0], [0.1, 0.7, 0.2], 0.5)
    assert np.isnan(point.sensitivity) and point.specificity == pytest.approx(2 / 3)


def test_prevalence_analysis_keeps_a_prevalence_free_auc() -> None:
    """AUC does not depend on prevalence: resampling to 10 % keeps it near the full-set AUC."""
    rng = np.random.default_rng(11)
    labels = (rng.random(600) < 0.4).astype(int)
    scores = rng.normal(size=600) + 1.2 * labels
    full = sk.roc_auc_score(labels, scores)
    resampled = prevalence_auc(labels, scores, prevalence=0.1, repeats=300, seed=2)
    assert resampled.low < full < resampled.high
    assert abs(resampled.value - full) < 0.03
    with pytest.raises(ValueError):
        prevalence_auc(labels, scores, prevalence=1.0)


def pixels_near(path: Path, colour: str) -> int:
    """How many pixels of the PNG lie within a few levels of `colour` (#rrggbb)."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3).astype(int)
    return int((np.abs(pixels - rgb).max(axis=1) <= 8).sum())


def test_roc_plot_draws_each_curve(tmp_path: Path) -> None:
    labels, _ = noisy_scores(1, n=100)
    rng = np.random.default_rng(1)
    curves = [
        Curve("scar AUC 0.80", *roc_curve(labels, rng.random(100) + 0.5 * labels)),
        Curve("LVEF<50 AUC 0.90", *roc_curve(labels, rng.random(100) + 0.8 * labels)),
    ]
    path = tmp_path / "roc.png"
    draw_roc(curves, "held-out synthetic set", path)
    assert Image.open(path).format == "PNG"
    for colour in COLOURS[:2]:
        assert pixels_near(path, colour) > 200  # each curve is drawn


def test_calibration_plot_draws_sklearns_reliability_curve(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    scores = rng.random(500)
    labels = (rng.random(500) < scores).astype(int)  # calibrated by construction
    observed, predicted = calibration_curve(labels, scores, n_bins=10)
    assert np.abs(observed - predicted).max() < 0.15  # the reference itself: near the diagonal
    path = tmp_path / "calibration.png"
    draw_calibration([Calibration("scar", labels, scores)], "synthetic", path)
    assert Image.open(path).format == "PNG"
    assert pixels_near(path, COLOURS[0]) > 200
    assert pixels_near(path, COLOURS[1]) == 0  # one task, one colour
