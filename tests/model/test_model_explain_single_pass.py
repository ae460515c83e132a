"""Both Grad-CAM++ maps from the prediction's own forward pass are the maps `explain` makes.

`Predictor.predict_explained` keeps the last feature map of one forward pass and takes both
tasks' gradients from it; it must give the probabilities of `probabilities` and, image by
image, the maps of the two-pass path (`Explainer.explain`: a second forward pass on a batch of
two with hooks), for plain and clinical networks, alone or in a batch.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.model_builders import manifest, network_spec, random_network

from mtecg.model.explain import Explainer, to_canonical
from mtecg.model.package import ModelPackage
from mtecg.model.predictor import Predictor
from mtecg.tasks import TASKS

# Same arithmetic on the same numbers; only the batch size of the convolutions differs.
MAP_ATOL = 1e-4
PROBABILITY_ATOL = 1e-6
CLINICAL = {"female": 1, "diabetes": 0, "hypertension": 1, "smoking": 0, "dyslipidaemia": 1}


def predictor(backbone: str, clinical: bool = False) -> Predictor:
    spec = network_spec(backbone, clinical=clinical)
    return Predictor(ModelPackage(manifest(spec, size=96), random_network(spec)), device="cpu")


def canonical_images(count: int, seed: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(count):
        image = np.full((2100, 1402, 3), 255, np.uint8)
        for _ in range(40):
            y, x = rng.integers(0, 2000), rng.integers(0, 1300)
            image[y : y + 60, x : x + 90] = rng.integers(0, 256, 3, dtype=np.uint8)
        images.append(image)
    return images


@pytest.mark.parametrize("backbone", ["resnet18", "regnetx_002"])
def test_single_pass_gives_the_two_pass_maps_and_probabilities(backbone: str) -> None:
    served = predictor(backbone)
    images = canonical_images(3)
    together = served.predict_explained(images)
    expected = served.predict_batch(images)
    assert served.explainer._single_pass is True  # the fast path ran, not the fallback
    for (results, maps), want, image in zip(together, expected, images, strict=True):
        for task in TASKS:
            assert abs(results[task].probability - want[task].probability) < PROBABILITY_ATOL
            assert results[task].risk_band == want[task].risk_band
        two_pass = served.explainer.explain(served.prepare([image]))
        for task in TASKS:
            assert maps[task].shape == (96, 96) and maps[task].dtype == np.float32
            assert maps[task].min() >= 0.0 and maps[task].max() <= 1.0
            assert np.abs(maps[task] - two_pass[task]).max() < MAP_ATOL, task
        # The two tasks' maps differ: each follows its own head's evidence.
        assert np.abs(maps["scar"] - maps["lvef"]).max() > 0.05


def test_clinical_network_single_pass_matches() -> None:
    served = predictor("resnet18", clinical=True)
    images = canonical_images(2, seed=5)
    records = [{**CLINICAL, "age": 61.0}, {**CLINICAL, "female": 0, "age": 44.0}]
    together = served.predict_explained(images, records)
    expected = served.predict_batch(images, records)
    for (results, maps), want, image, record in zip(
        together, expected, images, records, strict=True
    ):
        assert all(
            abs(results[t].probability - want[t].probability) < PROBABILITY_ATOL for t in TASKS
        )
        two_pass = served.explain(image, record)  # at canonical geometry
        for task in TASKS:
            stretched = to_canonical(maps[task], image.shape[1], image.shape[0])
            assert np.abs(stretched - two_pass[task]).max() < MAP_ATOL


def test_single_pass_leaves_the_network_untouched() -> None:
    served = predictor("resnet18")
    before = {name: t.clone() for name, t in served.network.state_dict().items()}
    served.predict_explained(canonical_images(1))
    assert all(p.grad is None for p in served.network.parameters())
    assert not any(m.training for m in served.network.modules())
    assert not served.network._forward_hooks
    assert all(not m._forward_hooks for m in served.network.modules())
    after = served.network.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)


def test_a_target_layer_that_is_not_the_feature_map_falls_back_to_two_passes() -> None:
    served = predictor("resnet18")
    backbone = served.network.model
    served.explainer = Explainer(served.network, backbone.get_submodule("layer3"), lock=served.lock)
    image = canonical_images(1)[0]
    ((results, maps),) = served.predict_explained([image])
    assert served.explainer._single_pass is False
    two_pass = served.explainer.explain(served.prepare([image]))
    for task in TASKS:
        assert np.abs(maps[task] - two_pass[task]).max() < MAP_ATOL
    (want,) = served.predict_batch([image])
    assert all(abs(results[t].probability - want[t].probability) < 1e-6 for t in TASKS)
