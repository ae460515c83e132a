"""The evaluation plots as PNGs, drawn with matplotlib: ROC curves and a reliability diagram.

Matplotlib runs on its non-interactive Agg canvas (no display on a hospital server) through
`Figure` objects rather than pyplot's global state, so plots made in parallel do not interfere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve

from mtecg.training.metrics import FloatArray

COLOURS: Final = ("#c82828", "#1e5ac8", "#148c3c", "#963ca0")  # one per curve, in order
CALIBRATION_BINS: Final = 10


@dataclass(frozen=True)
class Curve:
    """One ROC curve and how to label it."""

    label: str
    fpr: FloatArray
    tpr: FloatArray


@dataclass(frozen=True)
class Calibration:
    """One task's predicted probabilities against its true labels, and how to label them."""

    label: str
    labels: npt.ArrayLike  # 0/1
    scores: npt.ArrayLike  # predicted probability of the positive class


def _unit_axes(figure: Figure, title: str, xlabel: str, ylabel: str) -> Axes:
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="#a0a0a0", linestyle="--", linewidth=1)
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel=xlabel, ylabel=ylabel, title=title, aspect="equal")
    axes.grid(alpha=0.3)
    return axes


def _save(figure: Figure, axes: Axes, path: Path) -> None:
    axes.legend(loc="lower right")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=100)


def draw_roc(curves: Sequence[Curve], title: str, path: Path) -> None:
    """Writes the ROC curves on unit axes with the chance diagonal and a legend."""
    figure = Figure(figsize=(6.4, 6.4))
    axes = _unit_axes(figure, title, "1 - specificity", "sensitivity")
    for i, curve in enumerate(curves):
        axes.plot(
            curve.fpr, curve.tpr, color=COLOURS[i % len(COLOURS)], linewidth=2.5, label=curve.label
        )
    _save(figure, axes, path)


def draw_calibration(tasks: Sequence[Calibration], title: str, path: Path) -> None:
    """Writes a reliability diagram: in each of 10 equal-width probability bins, the observed
    fraction of positives against the mean predicted probability (empty bins are left out).

    A well-calibrated model lies on the diagonal; the band a screening result shows (low,
    moderate, high) only means what it says where it does.
    """
    figure = Figure(figsize=(6.4, 6.4))
    axes = _unit_axes(figure, title, "mean predicted probability", "observed fraction positive")
    for i, task in enumerate(tasks):
        observed, predicted = calibration_curve(
            task.labels, task.scores, n_bins=CALIBRATION_BINS, strategy="uniform"
        )
        axes.plot(
            predicted,
            observed,
            color=COLOURS[i % len(COLOURS)],
            marker="o",
            linewidth=2.5,
            label=task.label,
        )
    _save(figure, axes, path)
