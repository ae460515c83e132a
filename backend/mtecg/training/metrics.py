"""Evaluation metrics as the study reports them (docs/domain.md §6), computed by scikit-learn.

AUC with a 95 % bootstrap confidence interval (1,000 resamples), the operating-point figures
(accuracy, sensitivity, specificity, F1, confusion matrix) at the model's threshold, the Youden
point that `mtecg train` takes as a task's threshold, and the prevalence-specific analysis: the
test set resampled to a target prevalence many times. The resampling is a seeded NumPy loop
around `sklearn.metrics.roc_auc_score` (rather than `scipy.stats.bootstrap`) because a resample
holding one class only has no AUC and must be skipped, and so that a model card's numbers can
be reproduced exactly from the seed.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn import metrics
from sklearn.exceptions import UndefinedMetricWarning

FloatArray = npt.NDArray[np.float64]


def auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Area under the ROC curve; NaN when only one class is present (it is undefined then)."""
    y = np.asarray(labels, dtype=np.int64)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(metrics.roc_auc_score(y, np.asarray(scores, dtype=np.float64)))


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95 % confidence interval."""

    value: float
    low: float
    high: float


def bootstrap_auc(
    labels: npt.ArrayLike, scores: npt.ArrayLike, resamples: int = 1000, seed: int = 0
) -> Interval:
    """AUC with a percentile 95 % CI over bootstrap resamples (one-class draws are skipped)."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        pick = rng.integers(0, len(y), len(y))
        value = auc(y[pick], s[pick])
        if not np.isnan(value):
            values.append(value)
    low, high = np.percentile(values, [2.5, 97.5]) if values else (float("nan"),) * 2
    return Interval(auc(y, s), float(low), float(high))


@dataclass(frozen=True)
class OperatingPoint:
    """Figures at one decision threshold (probability >= threshold is positive)."""

    threshold: float
    accuracy: float
    sensitivity: float
    specificity: float
    f1: float
    true_positive: int
    false_positive: int
    true_negative: int
    false_negative: int


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def operating_point(
    labels: npt.ArrayLike, scores: npt.ArrayLike, threshold: float
) -> OperatingPoint:
    """Confusion matrix and the usual rates at `threshold` (NaN where a rate is undefined)."""
    y = np.asarray(labels, dtype=np.int64)
    predicted = (np.asarray(scores, dtype=np.float64) >= threshold).astype(np.int64)
    tn, fp, fn, tp = (int(v) for v in metrics.confusion_matrix(y, predicted, labels=[0, 1]).ravel())
    return OperatingPoint(
        threshold=threshold,
        accuracy=_ratio(tp + tn, len(y)),
        sensitivity=_ratio(tp, tp + fn),
        specificity=_ratio(tn, tn + fp),
        f1=float(metrics.f1_score(y, predicted, labels=[0, 1], zero_division=np.nan)),
        true_positive=tp,
        false_positive=fp,
        true_negative=tn,
        false_negative=fn,
    )


def prevalence_auc(
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    prevalence: float,
    repeats: int = 1000,
    seed: int = 0,
) -> Interval:
    """Mean AUC (and 95 % interval) over test sets resampled to a target prevalence.

    Each repeat keeps the test set's size and draws positives and negatives with replacement
    in the target proportion, as the study's prevalence-specific analysis does.
    """
    if not 0.0 < prevalence < 1.0:
        raise ValueError("prevalence must be strictly between 0 and 1")
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    positives, negatives = s[y == 1], s[y == 0]
    if len(positives) == 0 or len(negatives) == 0:
        raise ValueError("both classes are needed for a prevalence analysis")
    n_pos = max(1, round(prevalence * len(y)))
    n_neg = max(1, len(y) - n_pos)
    rng = np.random.default_rng(seed)
    values = np.empty(repeats)
    target = np.concatenate((np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)))
    for i in range(repeats):
        drawn = np.concatenate(
            (rng.choice(positives, n_pos, replace=True), rng.choice(negatives, n_neg))
        )
        values[i] = auc(target, drawn)
    low, high = np.percentile(values, [2.5, 97.5])
    return Interval(float(values.mean()), float(low), float(high))


def roc_curve(labels: npt.ArrayLike, scores: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """False- and true-positive rates at every distinct threshold, from (0, 0) to (1, 1).

    With one class only, the rate of the missing class is NaN (sklearn warns; here that is
    expected of a small split, and a plot simply shows no curve for it).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        fpr, tpr, _ = metrics.roc_curve(labels, scores, drop_intermediate=False)
    return fpr.astype(np.float64), tpr.astype(np.float64)


def youden_threshold(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """The probability cut-off maximising sensitivity + specificity - 1 on these data.

    0.5 when the data hold one class only (no cut-off separates anything); the ROC's first
    threshold (infinity, nobody positive) is clipped to 1.
    """
    y = np.asarray(labels, dtype=np.int64)
    if len(np.unique(y)) < 2:
        return 0.5
    fpr, tpr, thresholds = metrics.roc_curve(y, scores, drop_intermediate=False)
    return float(np.clip(thresholds[int(np.argmax(tpr - fpr))], 0.0, 1.0))


def as_json(value: Interval | OperatingPoint) -> dict[str, Any]:
    """A metric as plain JSON-able data for model.json and `mtecg evaluate --json`."""
    return {
        k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in asdict(value).items()
    }
