"""The task names and risk bands are defined once (`mtecg.tasks`) and everything agrees."""

from __future__ import annotations

from typing import get_args

from mtecg.model.legacy_import import PUBLISHED_RISK_BANDS
from mtecg.model.manifest import ModelManifest
from mtecg.tasks import IMAGE_NAMES, TASK_LABELS, TASKS, Band


def test_stored_images_are_the_canonical_image_then_one_map_per_task() -> None:
    assert ("canonical", *TASKS) == IMAGE_NAMES


def test_every_task_has_a_label_and_the_manifest_heads_follow_the_tasks() -> None:
    assert tuple(TASK_LABELS) == TASKS
    assert ModelManifest.model_fields["heads"].default == TASKS


def test_the_published_risk_bands_are_the_bands_the_app_shows() -> None:
    assert tuple(band.name for band in PUBLISHED_RISK_BANDS) == get_args(Band)
