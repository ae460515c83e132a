"""Evaluating a model package on a labelled manifest: docs/domain.md §6 figures, ROC and
reliability diagram."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from sklearn.metrics import brier_score_loss

from mtecg.model.manifest import Metric
from mtecg.model.predictor import Predictor
from mtecg.tasks import TASK_LABELS, TASKS
from mtecg.training.metrics import (
    as_json,
    bootstrap_auc,
    operating_point,
    prevalence_auc,
    roc_curve,
)
from mtecg.training.plots import Calibration, Curve, draw_calibration, draw_roc


@dataclass(frozen=True)
class Scored:
    """True labels and predicted positive probabilities, per task."""

    labels: dict[str, np.ndarray]
    scores: dict[str, np.ndarray]


def score(
    predictor: Predictor,
    images: Sequence[Path],
    labels: Mapping[str, Sequence[int]],
    clinical: Sequence[dict[str, float]] | None = None,
    batch_size: int = 16,
) -> Scored:
    """Predicted probabilities for cached canonical images, in batches."""
    probabilities = []
    for start in range(0, len(images), batch_size):
        chunk = [
            np.asarray(Image.open(p).convert("RGB")) for p in images[start : start + batch_size]
        ]
        records = None if clinical is None else list(clinical[start : start + batch_size])
        probabilities.append(predictor.probabilities(chunk, records)[:, :, 1])
    stacked = np.concatenate(probabilities) if probabilities else np.empty((0, len(TASKS)))
    return Scored(
        labels={task: np.asarray(labels[task]) for task in TASKS},
        scores={task: stacked[:, i] for i, task in enumerate(TASKS)},
    )


def report(
    scored: Scored,
    thresholds: dict[str, float],
    data: str,
    prevalence: float | None = None,
    roc_path: Path | None = None,
    seed: int = 0,
    calibration_path: Path | None = None,
) -> dict[str, Any]:
    """Per task: AUC with 95 % bootstrap CI (1,000), operating point, Brier score, optional
    prevalence AUC; the ROC plot and the reliability diagram where paths are given."""
    tasks: dict[str, Any] = {}
    curves = []
    calibrations = []
    for task in TASKS:
        y, s = scored.labels[task], scored.scores[task]
        interval = bootstrap_auc(y, s, resamples=1000, seed=seed)
        entry: dict[str, Any] = {
            "n": len(y),
            "positives": int(y.sum()),
            "auc": as_json(interval),
            "at_threshold": as_json(operating_point(y, s, thresholds[task])),
            "brier": float(brier_score_loss(y, s, labels=[0, 1])),
        }
        if prevalence is not None:
            entry["prevalence"] = {
                "target": prevalence,
                "auc": as_json(prevalence_auc(y, s, prevalence, repeats=1000, seed=seed)),
            }
        tasks[task] = entry
        curves.append(Curve(f"{TASK_LABELS[task]}: AUC {interval.value:.3f}", *roc_curve(y, s)))
        calibrations.append(Calibration(f"{TASK_LABELS[task]}: Brier {entry['brier']:.3f}", y, s))
    if roc_path is not None:
        draw_roc(curves, f"ROC on {data}", roc_path)
    if calibration_path is not None:
        draw_calibration(calibrations, f"Calibration on {data}", calibration_path)
    return {
        "data": data,
        "tasks": tasks,
        "roc": None if roc_path is None else str(roc_path),
        "calibration": None if calibration_path is None else str(calibration_path),
    }


def report_metrics(entry: dict[str, Any]) -> tuple[Metric, ...]:
    """The model.json metrics of one report: AUC with its CI, sensitivity, specificity."""
    return tuple(
        Metric(task=task, name=name, value=float(value), data=entry["data"])
        for task, figures in entry["tasks"].items()
        for name, value in (
            ("auc", figures["auc"]["value"]),
            ("auc_ci_low", figures["auc"]["low"]),
            ("auc_ci_high", figures["auc"]["high"]),
            ("sensitivity", figures["at_threshold"]["sensitivity"]),
            ("specificity", figures["at_threshold"]["specificity"]),
        )
        if value is not None
    )
