"""The predictor: package-driven results, clinical inputs checked, safe under threads."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import pytest
from support.model_builders import manifest, network_spec, random_network

from mtecg.model.package import ModelPackage, load_package, write_package
from mtecg.model.predictor import Predictor


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    spec = network_spec()
    out = write_package(tmp_path_factory.mktemp("p") / "m", random_network(spec), manifest(spec))
    return Predictor(load_package(out), device="auto")


def _images(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (2100, 1402, 3), dtype=np.uint8) for _ in range(n)]


def test_results_follow_the_package(predictor: Predictor) -> None:
    results = predictor.predict_batch(_images(3, seed=0))
    assert len(results) == 3
    for result in results:
        assert list(result) == ["scar", "lvef"]
        for task, r in result.items():
            spec = predictor.manifest.tasks[task]
            assert 0.0 <= r.probability <= 1.0
            assert r.prediction == int(r.probability >= spec.threshold)
            assert r.risk_band == predictor.manifest.risk_band(r.probability)
            assert r.reference_marker == spec.reference_marker


def test_batch_equals_single_calls(predictor: Predictor) -> None:
    images = _images(3, seed=1)
    batch = predictor.probabilities(images)
    singles = np.concatenate([predictor.probabilities([image]) for image in images])
    np.testing.assert_allclose(batch, singles, atol=1e-5)


def test_risk_bands_come_from_the_manifest(predictor: Predictor) -> None:
    bands = predictor.manifest.risk_bands
    assert predictor.manifest.risk_band(0.0) == bands[0].name
    assert predictor.manifest.risk_band(1.0) == bands[-1].name
    for lower, band in itertools.pairwise(bands):
        assert lower.upper is not None
        assert predictor.manifest.risk_band(lower.upper) == band.name


def test_threads_get_the_same_answers_as_one_thread(predictor: Predictor) -> None:
    images = _images(6, seed=2)
    expected = [predictor.probabilities([image]) for image in images]
    got: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(3):
                got[i] = predictor.probabilities([images[i]])
                np.testing.assert_allclose(got[i], expected[i], atol=1e-6)
        except BaseException as error:  # reported to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(images))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(got) == list(range(len(images)))


def test_clinical_model_needs_every_named_input(tmp_path: Path) -> None:
    spec = network_spec(clinical=True)
    package = write_package(tmp_path / "m", random_network(spec), manifest(spec))
    predictor = Predictor(load_package(package), device="cpu")
    inputs = predictor.manifest.clinical_inputs
    assert inputs is not None
    record: dict[str, float] = {name: 1 for name in inputs.categorical}
    record.update({name: 60.0 for name, _ in inputs.numerical})
    image = _images(1, seed=3)
    assert len(predictor.predict_batch(image, [record])) == 1
    with pytest.raises(ValueError, match="clinical"):
        predictor.predict_batch(image)
    incomplete = dict(record)
    missing = inputs.categorical[0]
    del incomplete[missing]
    with pytest.raises(ValueError, match=missing):
        predictor.predict_batch(image, [incomplete])
    with pytest.raises(ValueError, match="0/1"):
        predictor.predict_batch(image, [{**record, missing: 3}])


def test_rejects_non_rgb_uint8(predictor: Predictor) -> None:
    with pytest.raises(ValueError, match="RGB uint8"):
        predictor.predict_batch([np.zeros((2100, 1402), np.uint8)])


def test_predictor_explains_both_tasks_at_the_canonical_geometry() -> None:
    spec = network_spec()
    predictor = Predictor(ModelPackage(manifest(spec), random_network(spec), None), "cpu")
    canonical = np.full((2100, 1402, 3), 255, np.uint8)
    canonical[160:190, :] = 0
    before = predictor.probabilities([canonical])
    maps = predictor.explain(canonical)
    assert set(maps) == {"scar", "lvef"}
    for heatmap in maps.values():
        assert heatmap.shape == (2100, 1402)
        assert float(heatmap.min()) >= 0.0 and float(heatmap.max()) <= 1.0
    # Explaining leaves the shared network as it was: the same probabilities after.
    assert np.array_equal(before, predictor.probabilities([canonical]))
