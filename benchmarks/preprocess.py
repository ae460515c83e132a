"""Speed and memory of ingest + layout: upload bytes -> canonical image.

Run: `make bench` (or `.venv/bin/python benchmarks/preprocess.py [--runs N] [--json OUT]`).

Inputs: a one-page vector PDF (synthetic `siriraj-grid` printout, A4), a large scan (a
synthetic 300-dpi A4 page rotated 5 degrees, 8.7 MP PNG) and a phone photo (that page
photographed at 20 degrees of tilt on a desk, about 12 MP JPEG), plus the real samples of the same
kinds from ../shared/samples when they are there. For each: the median of every stage over
the runs in this process, the median end-to-end time through a warm sandbox worker (what the
CLI and the API pay, pickling included), and the worker's peak resident memory.
Goals on a 2-core machine: PDF to canonical image <= 150 ms median, worker peak <= 300 MB;
a 12 MP photo <= 1.5 s, worker peak <= 500 MB.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from mtecg.ingest.sandbox import Sandbox
from mtecg.preprocess import preprocess, preprocess_in_sandbox
from mtecg.synth.dataset import make_record
from mtecg.synth.photo import Photo, photograph
from mtecg.synth.scan import Scan

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"


def _phone_photo() -> bytes:
    """A 300-dpi synthetic page photographed in perspective on a desk, as a phone JPEG."""
    page = make_record(1, "a4-3x4-3r", "png", scan=Scan(dpi=300)).data
    pixels = np.asarray(Image.open(io.BytesIO(page)).convert("RGB"))
    image, _ = photograph(pixels, Photo(20.0, 30.0, 3.0, margin=0.06, shadow=0.2))
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def inputs() -> dict[str, bytes]:
    """The benchmark's inputs by description: synthetic ones always, real ones when present."""
    inputs = {
        "synthetic one-page PDF (A4, vector)": make_record(1, "siriraj-grid", "pdf").data,
        "synthetic 300-dpi scan (A4, 8.7 MP PNG, rotated 5 deg)": make_record(
            1, "a4-3x4-3r", "png", scan=Scan(dpi=300, rotation_deg=5.0)
        ).data,
        "synthetic phone photo (20 deg tilt on a desk, ~12 MP JPEG)": _phone_photo(),
    }
    real = {
        "real PDF (dicomecgplot sample)": SAMPLES / "pdf" / "dicomecgplot_anonymous_ecg_3x4_1.pdf",
        "real large scan (eik_ecg00012.jpg, 7.2 MP)": SAMPLES / "images" / "eik_ecg00012.jpg",
    }
    inputs.update({name: path.read_bytes() for name, path in real.items() if path.exists()})
    return inputs


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def measure(name: str, data: bytes, runs: int) -> dict[str, object]:
    """Stage medians in this process, sandboxed end-to-end median and worker peak of one input."""
    preprocess(data)  # warm caches (font loading, first-call allocations)
    stages: dict[str, list[float]] = {}
    totals = []
    for _ in range(runs):
        start = time.perf_counter()
        result = preprocess(data)
        totals.append((time.perf_counter() - start) * 1000)
        for stage, ms in result.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    with Sandbox(workers=1) as sandbox:
        preprocess_in_sandbox(sandbox, data)
        sandboxed = []
        for _ in range(runs):
            start = time.perf_counter()
            preprocess_in_sandbox(sandbox, data)
            sandboxed.append((time.perf_counter() - start) * 1000)
        peak = sandbox.peak_rss_bytes()
    return {
        "input": name,
        "bytes": len(data),
        "stages_ms": {stage: _median(values) for stage, values in stages.items()},
        "in_process_ms": _median(totals),
        "sandboxed_ms": _median(sandboxed),
        "worker_peak_rss_mb": round(peak / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = [measure(name, data, args.runs) for name, data in inputs().items()]
    print(f"median of {args.runs} runs; stages in ms; sandboxed = end to end via a warm worker")
    for row in results:
        stages = ", ".join(f"{k} {v}" for k, v in row["stages_ms"].items())  # type: ignore[attr-defined]
        print(
            f"- {row['input']}: in-process {row['in_process_ms']} ms ({stages}); "
            f"sandboxed {row['sandboxed_ms']} ms; worker peak {row['worker_peak_rss_mb']} MB"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
