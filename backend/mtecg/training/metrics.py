"""Evaluation metrics as the study reports them (docs/domain.md §6).

AUC with a 95 % bootstrap confidence interval (1,000 resamples), the operating-point figures
(accuracy, sensitivity, specificity, F1, confusion matrix) at the model's threshold, and the
prevalence-specific analysis: the test set resampled to a target prevalence many times. Pure
NumPy and seeded, so a model card's numbers can be reproduced exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _ranks(values: FloatArray) -> FloatArray:
    """1-based ranks with ties given their average rank."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    boundaries = np.flatnonzero(np.diff(sorted_values)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(values)]))
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2
    return ranks


def auc(labels: npt.ArrayLike, scores: npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney U); NaN when only one class is present."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    rank_sum = float(_ranks(s)[y == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


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
    """Confusion matrix and the usual rates at `threshold`."""
    y = np.asarray(labels, dtype=np.int64).astype(bool)
    predicted = np.asarray(scores, dtype=np.float64) >= threshold
    tp = int((predicted & y).sum())
    fp = int((predicted & ~y).sum())
    tn = int((~predicted & ~y).sum())
    fn = int((~predicted & y).sum())
    precision = _ratio(tp, tp + fp)
    sensitivity = _ratio(tp, tp + fn)
    f1 = (
        2 * precision * sensitivity / (precision + sensitivity)
        if precision + sensitivity > 0
        else float("nan")
    )
    return OperatingPoint(
        threshold=threshold,
        accuracy=_ratio(tp + tn, len(y)),
        sensitivity=sensitivity,
        specificity=_ratio(tn, tn + fp),
        f1=f1,
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
    """False- and true-positive rates at every distinct threshold, from (0, 0) to (1, 1)."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    distinct = np.flatnonzero(np.diff(s)) if len(s) > 1 else np.array([], dtype=np.int64)
    cut = np.concatenate((distinct, [len(s) - 1]))
    tps = np.cumsum(y)[cut]
    fps = (cut + 1) - tps
    tpr = np.concatenate(([0.0], tps / max(1, int(y.sum()))))
    fpr = np.concatenate(([0.0], fps / max(1, int(len(y) - y.sum()))))
    return fpr, tpr


def as_json(value: Interval | OperatingPoint) -> dict[str, Any]:
    """A metric as plain JSON-able data for model.json and `mtecg evaluate --json`."""
    return {
        k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in asdict(value).items()
    }
