"""Speed and memory of the model: forward passes, Grad-CAM++ explanations, package loading.

Run: `.venv/bin/python benchmarks/model.py [--runs N] [--model DIR]`.

For the published architecture (resnet34d at 384 px, random weights, written to a temporary
package) and for the demo package (`models/demo`, or --model): median forward latency at
batch 1 and 8 (inference mode), forward + both tasks' Grad-CAM++ maps at batch 1, the ratio
of the two (goal: explanations <= 3x a forward pass), package load time (sha256 check and
strict load included) and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from mtecg.model.architecture import NetworkSpec
from mtecg.model.input_transform import IMAGENET_MEAN, IMAGENET_STD
from mtecg.model.legacy_import import INTENDED_USE, PUBLISHED_RISK_BANDS
from mtecg.model.manifest import InputSpec, ModelManifest, TaskSpec
from mtecg.model.network import build_network
from mtecg.model.package import load_package, write_package
from mtecg.model.predictor import Predictor

REPO = Path(__file__).resolve().parent.parent


def _published_package(folder: Path) -> Path:
    spec = NetworkSpec(backbone="resnet34d", variant="multi-task", latent_dim=512, bias_head=True)
    manifest = ModelManifest(
        id="published-architecture-random",
        version="0",
        architecture=spec,
        input=InputSpec(384, 384, IMAGENET_MEAN, IMAGENET_STD, "linear", "canonical-6x2"),
        tasks={"scar": TaskSpec(0.5, None), "lvef": TaskSpec(0.5, None)},
        risk_bands=PUBLISHED_RISK_BANDS,
        intended_use=INTENDED_USE,
        training_data="none: random weights for benchmarking",
        synthetic=True,
    )
    return write_package(folder / "published", build_network(spec), manifest)


def _median_ms(call: Callable[[], object], runs: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def measure(name: str, package_dir: Path, runs: int) -> str:
    start = time.perf_counter()
    package = load_package(package_dir)
    load_ms = (time.perf_counter() - start) * 1000
    predictor = Predictor(package, device="cpu")
    canonical = np.full((2100, 1402, 3), 255, np.uint8)
    canonical[170:180] = 0
    one, eight = [canonical], [canonical] * 8
    forward_1 = _median_ms(lambda: predictor.probabilities(one), runs)
    forward_8 = _median_ms(lambda: predictor.probabilities(eight), max(3, runs // 3))
    explain = _median_ms(lambda: predictor.explain(canonical), runs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"- {name}: load {load_ms:.0f} ms; forward batch 1 {forward_1} ms, batch 8 {forward_8} ms"
        f" ({forward_8 / 8:.1f} ms/image); forward + both Grad-CAM++ maps {explain} ms"
        f" ({explain / forward_1:.2f}x a forward); process peak RSS so far {peak_mb:.0f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--model", type=Path, default=REPO / "models" / "demo")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU, median of runs")
    with tempfile.TemporaryDirectory() as tmp:
        print(
            measure(
                "published architecture (resnet34d, 384 px)",
                _published_package(Path(tmp)),
                args.runs,
            )
        )
    if args.model.is_dir():
        print(measure(f"demo package ({args.model.name})", args.model, args.runs))
    else:
        print(f"- no package at {args.model}: demo model not measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
