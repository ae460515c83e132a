"""`mtecg train` and `mtecg evaluate` end to end on a tiny synthetic data set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from mtecg.cli import main
from mtecg.model.package import load_package
from mtecg.synth.dataset import write_dataset


def _train(labels: Path, config: Path, out: Path) -> int:
    """`mtecg train --json` in this process; its exit status."""
    return main(
        ["train", "--manifest", str(labels), "--config", str(config), "--out", str(out), "--json"]
    )


def test_train_then_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = write_dataset(16, seed=8, out=tmp_path / "data", layout="siriraj-grid")
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "backbone": "resnet18",
                "image_size": 96,
                "latent_dim": 32,
                "epochs": 2,
                "batch_size": 8,
                "model_id": "tiny",
                "training_data": "tiny synthetic set",
                "synthetic": True,
                "workers": 1,
            }
        )
    )
    out = tmp_path / "model"
    assert _train(labels, config, out) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["train"] + summary["counts"]["val"] == 16
    package = load_package(out)
    assert package.manifest.synthetic and package.manifest.id == "tiny"
    assert all(m.data.startswith("validation split") for m in package.manifest.metrics)
    card = (out / "README.md").read_text()
    assert "Synthetic" in card
    assert '"backbone": "resnet18"' in card  # the card carries the config that reproduces it
    assert all({"train_loss", "val_loss"} <= set(h) for h in summary["history"])

    roc, calibration = tmp_path / "roc.png", tmp_path / "calibration.png"
    assert (
        main(
            [
                "evaluate",
                "--manifest",
                str(labels),
                "--model",
                str(out),
                "--roc",
                str(roc),
                "--calibration",
                str(calibration),
                "--prevalence",
                "0.2",
                "--data",
                "tiny synthetic set",
                "--record",
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    recorded = [m for m in load_package(out).manifest.metrics if m.data == report["data"]]
    assert {(m.task, m.name) for m in recorded} >= {("scar", "auc"), ("lvef", "auc")}
    assert set(report["tasks"]) == {"scar", "lvef"}
    for figures in report["tasks"].values():
        assert figures["n"] == 16
        assert 0.0 <= figures["auc"]["value"] <= 1.0
        matrix = figures["at_threshold"]
        total = sum(
            matrix[k]
            for k in ("true_positive", "false_positive", "true_negative", "false_negative")
        )
        assert total == 16
        assert 0.0 <= figures["brier"] <= 1.0
    assert (report["roc"], report["calibration"]) == (str(roc), str(calibration))
    assert Image.open(roc).format == Image.open(calibration).format == "PNG"


def test_bad_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"epochz": 3}))
    labels = tmp_path / "m.csv"
    labels.write_text("file,scar,lvef\na.pdf,1,40\n")
    assert _train(labels, config, tmp_path / "o") == 1
    assert "unknown config key" in json.loads(capsys.readouterr().out)["message"]
