"""One loader: `mtecg predict` and `mtecg serve` accept and refuse the same model folders.

A published checkpoint folder is converted in memory by both and answers the same; a folder
that cannot be used is refused by both with the same `ModelPackageError` message (the CLI on
stderr, the service in `/readyz`). The service runs for real (in-process, SQLite, sandbox).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support.api_client import bearer, started
from support.model_builders import network_spec, random_network, write_published
from support.services import database, migrated

from mtecg.cli import main
from mtecg.cli.output import EXIT_FAILED
from mtecg.synth.dataset import make_record
from mtecg.tasks import TASKS


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = network_spec()
    return write_published(
        tmp_path_factory.mktemp("pub") / "resnet", random_network(spec), spec, 64
    )


def _predict(
    model: Path, ecg: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any], str]:
    code = main(["predict", str(ecg), "--model", str(model), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else {}, err


def test_a_published_folder_is_served_and_predicted_alike(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = make_record(3, "siriraj-grid", "pdf").data
    ecg = tmp_path / "ecg.pdf"
    ecg.write_bytes(record)
    code, cli, _ = _predict(published, ecg, capsys)
    assert code == 0
    checkpoint = (published / "model.ckpt").read_bytes()
    with (
        database("sqlite", tmp_path) as url,
        started(migrated(url), tmp_path / "data", published) as running,
    ):
        assert running.client.get("/readyz").status_code == 200
        key = running.user("ann")
        card = running.client.get("/api/v1/model", headers=bearer(key)).json()
        created = running.upload(key, record)
    assert created.status_code == 201, created.text
    # The same model: the id and version the CLI reports, identified by the checkpoint's bytes.
    assert cli["model"] == {"id": card["id"], "version": card["version"], "synthetic": False}
    assert card["weights_sha256"] == hashlib.sha256(checkpoint).hexdigest()
    assert created.json()["model"]["weights_sha256"] == card["weights_sha256"]
    for task in TASKS:
        served = created.json()["tasks"][task]["probability"]
        predicted = cli[task]["probability"]["positive"]
        assert served == pytest.approx(predicted, abs=5e-4)  # the CLI rounds to 3 decimals


@pytest.mark.parametrize("damage", ["no configs.json", "not a checkpoint", "empty folder"])
def test_an_unusable_folder_is_refused_alike(
    damage: str, published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = shutil.copytree(published, tmp_path / "broken")
    if damage == "no configs.json":
        (broken / "configs.json").unlink()
    elif damage == "not a checkpoint":
        (broken / "model.ckpt").write_bytes(b"not a pickle")
    else:
        for path in broken.iterdir():
            path.unlink()
    ecg = tmp_path / "ecg.pdf"
    ecg.write_bytes(make_record(3, "siriraj-grid", "pdf").data)
    code, _, err = _predict(broken, ecg, capsys)
    assert code == EXIT_FAILED
    message = err.removeprefix("mtecg: model: ").strip()
    assert str(broken) in message
    with (
        database("sqlite", tmp_path) as url,
        started(migrated(url), tmp_path / "data", broken) as running,
    ):
        ready = running.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["detail"] == f"model package unusable: {message}"
