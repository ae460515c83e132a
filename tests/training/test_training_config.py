"""The training config: strict JSON, clear refusals, and one set of defaults for the config and
the training loop."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests_paths import REPO

from mtecg.training.config import OptimiserSettings, TrainConfig, load_config
from mtecg.training.loop import LoopConfig


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_demo_models_config_loads() -> None:
    config = load_config(REPO / "models" / "demo-training-config.json")
    assert config.backbone == "regnetx_004" and config.loss_ratio == (0.7, 0.3)


def test_missing_keys_take_the_defaults(tmp_path: Path) -> None:
    assert load_config(written(tmp_path, "{}")) == TrainConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"epochz": 3}', "unknown config key(s): epochz"),
        ('{"epochs": "3"}', "config 'epochs'"),
        ('{"epochs": 2.5}', "config 'epochs'"),
        ('{"augmentation": 1}', "config 'augmentation'"),
        ('{"class_weights": "some"}', "config 'class_weights'"),
        ('{"loss_ratio": [1]}', "config 'loss_ratio.1'"),
        ("[]", "must be a JSON object"),
        ("{not json", "must be a JSON object"),
    ],
)
def test_bad_config_is_refused_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        load_config(written(tmp_path, text))
    assert message in str(caught.value)


def test_whole_numbers_are_accepted_where_a_float_belongs(tmp_path: Path) -> None:
    assert load_config(written(tmp_path, '{"learning_rate": 1}')).learning_rate == 1.0


def test_loop_and_config_share_the_optimiser_defaults() -> None:
    shared = set(OptimiserSettings.model_fields)
    assert shared <= set(LoopConfig.model_fields) and shared <= set(TrainConfig.model_fields)
    loop, config = LoopConfig(), TrainConfig()
    assert {name: getattr(loop, name) for name in shared} == {
        name: getattr(config, name) for name in shared
    }
