"""Speed and memory of the model: forward passes, Grad-CAM++ explanations, package loading.

Run: `.venv/bin/python benchmarks/model.py [--runs N] [--model DIR]`.

For the published architecture (resnet34d at 384 px, random weights, written to a temporary
package) and for the demo package (`models/demo`, or --model): median forward latency at
batch 1 and 8 (inference mode), forward + both tasks' Grad-CAM++ maps at batch 1 (the maps
from that forward pass, as the service makes them), the ratio of the two, the per-lead occlusion
attribution (12 blanked panels + the reference in one batch of 13; the service runs it after
the answer), package load time (sha256 check and strict load included) and the process's peak
resident memory.
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
from typing import Any

import numpy as np
import torch

from mtecg.model.architecture import NetworkSpec
from mtecg.model.attribution import attribute
from mtecg.model.input_transform import imagenet_input
from mtecg.model.legacy_import import INTENDED_USE, PUBLISHED_RISK_BANDS
from mtecg.model.manifest import ModelManifest, TaskSpec
from mtecg.model.network import build_network
from mtecg.model.package import load_package, write_package
from mtecg.model.predictor import Predictor
from mtecg.model.runtime import DEFAULT_RUNTIME, RUNTIMES, Runtime

REPO = Path(__file__).resolve().parent.parent


def published_package(folder: Path, backbone: str = "resnet34d", size: int = 384) -> Path:
    """The published network (multi-task heads, 512-d latent) on `backbone` at `size` px, with
    random weights, written as a package under `folder`: the real network's cost without
    trained weights."""
    spec = NetworkSpec(backbone=backbone, variant="multi-task", latent_dim=512, bias_head=True)
    manifest = ModelManifest(
        id=f"published-architecture-{backbone}-{size}-random",
        version="0",
        architecture=spec,
        input=imagenet_input(size, "linear"),
        tasks={task: TaskSpec(threshold=0.5, reference_marker=None) for task in ("scar", "lvef")},
        risk_bands=PUBLISHED_RISK_BANDS,
        intended_use=INTENDED_USE,
        training_data="none: random weights for benchmarking",
        synthetic=True,
    )
    return write_package(folder / f"{backbone}-{size}", build_network(spec), manifest)


def median_ms(call: Callable[[], object], runs: int) -> float:
    """Median wall-clock ms of `runs` calls after one warm-up call (first-call allocations)."""
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def blank_canonical() -> np.ndarray:
    """A white canonical image with one dark line: the network's cost does not depend on content."""
    canonical = np.full((2100, 1402, 3), 255, np.uint8)
    canonical[170:180] = 0
    return canonical


def measure(
    name: str, package_dir: Path, runs: int, device: str = "cpu", runtime: Runtime = "torch"
) -> dict[str, Any]:
    """Load, forward (batch 1 and 8) and forward + both maps medians of one package, in ms.

    The load time includes `runtime`'s export and check (no cache: what a first start pays).
    """
    start = time.perf_counter()
    predictor = Predictor(load_package(package_dir), device=device, runtime=runtime)
    load_ms = (time.perf_counter() - start) * 1000
    canonical = blank_canonical()
    one, eight = [canonical], [canonical] * 8
    forward_1 = median_ms(lambda: predictor.probabilities(one), runs)
    forward_8 = median_ms(lambda: predictor.probabilities(eight), max(3, runs // 3))
    explain = median_ms(lambda: predictor.predict_explained(one), runs)  # as the service
    attribution = median_ms(lambda: attribute(predictor, canonical), max(3, runs // 3))
    spec = predictor.manifest
    return {
        "model": name,
        "architecture": f"{spec.architecture.backbone} @ {spec.input.height} px",
        "device": device,
        "runtime": predictor.runtime,
        "load_ms": round(load_ms, 1),
        "forward_1_ms": forward_1,
        "forward_8_per_image_ms": round(forward_8 / 8, 1),
        "explain_ms": explain,
        "explain_over_forward": round(explain / forward_1, 2),
        "attribution_ms": attribution,
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def describe(row: dict[str, Any]) -> str:
    """One line of `measure`'s figures for the console."""
    return (
        f"- {row['model']} ({row['architecture']}, {row['runtime']}):"
        f" load {row['load_ms']:.0f} ms; forward batch 1"
        f" {row['forward_1_ms']} ms, batch 8 {row['forward_8_per_image_ms']} ms/image;"
        f" forward + both Grad-CAM++ maps {row['explain_ms']} ms"
        f" ({row['explain_over_forward']:.2f}x a forward);"
        f" per-lead attribution (after the answer) {row['attribution_ms']} ms;"
        f" process peak RSS so far {row['process_peak_rss_mb']} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--model", type=Path, default=REPO / "models" / "demo")
    parser.add_argument(
        "--runtime",
        action="append",
        choices=RUNTIMES,
        help="runtime(s) to measure (repeatable; default: torch and the service's default)",
    )
    args = parser.parse_args()
    runtimes = args.runtime or ["torch", DEFAULT_RUNTIME]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU, median of runs")
    with tempfile.TemporaryDirectory() as tmp:
        package = published_package(Path(tmp))
        for runtime in runtimes:
            row = measure(
                "published architecture, random weights", package, args.runs, "cpu", runtime
            )
            print(describe(row))
    if args.model.is_dir():
        for runtime in runtimes:
            row = measure(
                f"demo package ({args.model.name})", args.model, args.runs, "cpu", runtime
            )
            print(describe(row))
    else:
        print(f"- no package at {args.model}: demo model not measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
