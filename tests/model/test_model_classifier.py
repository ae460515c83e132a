"""`mtecg.ECGClassifier`: the published interface on a synthetic printout, imported lazily."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support.model_builders import manifest, network_spec, random_network, write_published

from mtecg.errors import Rejection
from mtecg.model.package import write_package
from mtecg.synth.dataset import make_record


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = network_spec()
    out = tmp_path_factory.mktemp("c") / "model"
    return write_package(out, random_network(spec), manifest(spec))


@pytest.fixture(scope="module")
def printout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ecg") / "ecg.pdf"
    path.write_bytes(make_record(1, "siriraj-grid", "pdf").data)
    return path


def _assert_published_shape(answer: dict[str, dict[str, object]], decimals: int | None) -> None:
    assert list(answer) == ["scar", "lvef"]
    for task in answer.values():
        assert set(task) == {"prediction", "probability"}
        assert task["prediction"] in (0, 1)
        probability = task["probability"]
        assert isinstance(probability, dict) and set(probability) == {"negative", "positive"}
        assert probability["negative"] + probability["positive"] == pytest.approx(1, abs=2e-3)
        if decimals is not None:
            assert all(round(p, decimals) == p for p in probability.values())


def test_import_mtecg_stays_light() -> None:
    code = "import sys, mtecg; assert 'torch' not in sys.modules; mtecg.ECGClassifier; "
    code += "assert 'torch' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_predict_from_file_pil_and_array(package_dir: Path, printout: Path) -> None:
    from mtecg import ECGClassifier

    classifier = ECGClassifier(package_dir)
    from_file = classifier.predict(str(printout))
    _assert_published_shape(from_file, decimals=3)
    assert classifier.last_preprocessed is not None
    canonical = classifier.last_preprocessed.layout.canonical
    assert classifier.predict(canonical) == from_file
    assert classifier.predict(Image.fromarray(canonical)) == from_file
    unrounded = ECGClassifier(package_dir, round_probabilities=False).predict(canonical)
    _assert_published_shape(unrounded, decimals=None)
    positive = unrounded["scar"]["probability"]["positive"]  # type: ignore[index]
    assert round(positive, 3) == from_file["scar"]["probability"]["positive"]  # type: ignore[index]


def test_predict_pil_page_is_preprocessed(package_dir: Path) -> None:
    from mtecg import ECGClassifier

    page = Image.open(io.BytesIO(make_record(2, "siriraj-grid", "png").data))
    classifier = ECGClassifier(package_dir)
    _assert_published_shape(classifier.predict(page), decimals=3)
    assert classifier.last_preprocessed is not None


def test_non_ecg_and_bad_inputs(package_dir: Path, tmp_path: Path) -> None:
    from mtecg import ECGClassifier

    classifier = ECGClassifier(package_dir)
    blank = tmp_path / "blank.png"
    Image.new("RGB", (1200, 900), "white").save(blank)
    with pytest.raises(Rejection):
        classifier.predict(blank)
    with pytest.raises(ValueError, match="canonical"):
        classifier.predict(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="model_class"):
        ECGClassifier(package_dir, model_class="multi-task-clinical")


def test_published_folder_is_accepted_directly(tmp_path: Path) -> None:
    from mtecg import ECGClassifier

    spec = network_spec(clinical=True, rnn="rnn")
    published = write_published(tmp_path / "pub", random_network(spec), spec, size=64)
    classifier = ECGClassifier(published, model_class="multi-task-clinical")
    image = np.full((2100, 1402, 3), 255, np.uint8)
    clinical = {"female": 1, "diabetes": 0, "hypertension": 0, "smoking": 1}
    clinical |= {"dyslipidaemia": 0, "age": 58}
    _assert_published_shape(classifier.predict(image, clinical), decimals=3)
