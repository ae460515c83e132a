"""`mtecg predict` and `mtecg import-checkpoint`: JSON and exit codes.

One test runs the installed command end to end; the others call `main` in this process, which
is the same code without paying for a fresh torch import each time.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support.model_builders import manifest, network_spec, random_network, write_published
from tests_paths import MTECG

from mtecg.cli import main
from mtecg.model.package import load_package, write_package
from mtecg.model.runtime import PROBABILITY_TOLERANCE
from mtecg.synth.dataset import make_record


def _mtecg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MTECG), *args], capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = network_spec()
    out = tmp_path_factory.mktemp("cli") / "model"
    return write_package(out, random_network(spec), manifest(spec))


def test_predict_synthetic_printout(package_dir: Path, tmp_path: Path) -> None:
    ecg = tmp_path / "ecg.pdf"
    ecg.write_bytes(make_record(1, "siriraj-grid", "pdf").data)
    outdir = tmp_path / "maps"
    proc = _mtecg(
        "predict", str(ecg), "--model", str(package_dir), "--explain", str(outdir), "--json"
    )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    canonical = np.asarray(Image.open(payload["explanations"]["canonical"]))
    assert canonical.shape == (2100, 1402, 3)
    for task in ("scar", "lvef"):
        overlay = np.asarray(Image.open(payload["explanations"][task]).convert("RGB"))
        assert overlay.shape == canonical.shape
        assert not np.array_equal(overlay, canonical)  # the heatmap is drawn over the ECG
    written = load_package(package_dir).manifest
    assert payload["model"] == {
        "id": written.id,
        "version": written.version,
        "synthetic": written.synthetic,
    }
    for task in ("scar", "lvef"):
        assert payload[task]["prediction"] in (0, 1)
        assert set(payload[task]["probability"]) == {"negative", "positive"}
        band = payload["risk"][task]["band"]
        assert band == written.risk_band(payload[task]["probability"]["positive"])
    assert len(payload["layout"]["panels"]) == 12


def test_predict_gives_the_same_probabilities_on_both_runtimes(
    package_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--runtime onnx` (the default, as the service's) answers as `--runtime torch` within the
    runtime bar, and keeps its graph where MTECG_RUNTIME_CACHE_DIR says."""
    cache = tmp_path / "runtime"
    monkeypatch.setenv("MTECG_RUNTIME_CACHE_DIR", str(cache))
    ecg = tmp_path / "ecg.pdf"
    ecg.write_bytes(make_record(5, "siriraj-grid", "pdf").data)
    answers = {}
    for runtime in ("torch", "onnx"):
        argv = ["predict", str(ecg), "--model", str(package_dir), "--runtime", runtime, "--json"]
        assert main(argv) == 0
        answers[runtime] = json.loads(capsys.readouterr().out)
        assert bool(list(cache.glob("*.onnx"))) == (runtime == "onnx")
    for task in ("scar", "lvef"):
        torch_p, onnx_p = (answers[r][task]["probability"]["positive"] for r in ("torch", "onnx"))
        assert abs(torch_p - onnx_p) <= PROBABILITY_TOLERANCE


def test_predict_rejects_non_ecg(
    package_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not an ECG")
    assert main(["predict", str(notes), "--model", str(package_dir), "--json"]) == 3
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "rejected" and payload["code"] and payload["message"]


def test_predict_with_a_broken_model_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "model").mkdir()
    ecg = tmp_path / "ecg.pdf"
    ecg.write_bytes(b"%PDF-1.4")
    assert main(["predict", str(ecg), "--model", str(tmp_path / "model")]) == 1
    assert "model.json" in capsys.readouterr().err


def test_predict_clinical_model_without_clinical_is_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = network_spec(clinical=True)
    model = write_package(tmp_path / "m", random_network(spec), manifest(spec))
    assert main(["predict", str(tmp_path / "any.pdf"), "--model", str(model)]) == 2
    assert "--clinical" in capsys.readouterr().err


def test_import_checkpoint_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = network_spec()
    published = write_published(tmp_path / "pub", random_network(spec), spec, size=64)
    out = tmp_path / "package"
    assert main(["import-checkpoint", str(published), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["package"] == str(out)
    assert load_package(out).manifest.architecture == spec
    assert main(["import-checkpoint", str(published), "--out", str(out), "--json"]) == 1
    assert "exists" in json.loads(capsys.readouterr().out)["message"]
