"""`mtecg batch` throughput and resumability on this machine.

Run: `.venv/bin/python benchmarks/batch.py [--n 500] [--maps-n 40] [--predict-n 3]
[--resume-n 5000] [--no-ray] [--json PATH]`.

1. Screenings per second of `mtecg batch` on `--n` synthetic mixed printouts (`mtecg synth`,
   PDFs on the seven layouts), with 1 and 2 sandbox workers, without maps; with maps (Grad-CAM++
   for both tasks, written as PNGs) on the first `--maps-n` of them. The rate is rows over the
   command's own run time (model load and sandbox start included); the wall time of the whole
   command (Python imports too) is reported beside it.
2. The same printouts one `mtecg predict` process per file, `--predict-n` of them, in the same
   run: what a script looping over an archive pays per file today.
3. The Ray engine on a local Ray instance (3 logical CPUs on loopback: 2 preparing actors and
   1 scoring actor, as the local engine's 2 workers + 1 model): rate and overhead vs local.
4. Resume: `--resume-n` small PNGs (50 distinct contents, duplicated under other names; layout
   refuses them quickly, so the run costs little), killed with SIGKILL twice once parts are
   written, then run to the end: every file must be in the results exactly once.

The machine is shared: the load average is recorded with every figure. Figures are
measurements, not goals; no test asserts on them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
MTECG = Path(sys.executable).parent / "mtecg"
DEMO_MODEL = REPO / "models" / "demo"
RAY_DRIVER = (
    "import sys, ray; "
    "ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, "
    "_node_ip_address='127.0.0.1'); "
    "from mtecg.cli import main; sys.exit(main(sys.argv[1:]))"
)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def batch(args: list[str], ray: bool = False) -> dict[str, Any]:
    """One `mtecg batch ... --json` run: its summary, wall time and the load around it."""
    before = load()
    command = [sys.executable, "-c", RAY_DRIVER, "batch"] if ray else [str(MTECG), "batch"]
    started = time.perf_counter()
    proc = subprocess.run(
        [*command, *args, "--json"], capture_output=True, text=True, timeout=3600, check=False
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"mtecg batch failed ({proc.returncode}): {proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "files": summary["rows"],
        "read": summary["read"],
        "seconds": summary["seconds"],
        "per_s": round(summary["screened"] / summary["seconds"], 3),
        "wall_s": round(wall, 3),
        "load_before": before,
        "load_after": load(),
    }


def per_file_predict(files: list[Path]) -> dict[str, Any]:
    before, times = load(), []
    for path in files:
        started = time.perf_counter()
        subprocess.run(
            [str(MTECG), "predict", str(path), "--model", str(DEMO_MODEL), "--json"],
            capture_output=True,
            timeout=600,
            check=False,
        )
        times.append(time.perf_counter() - started)
    mean = sum(times) / len(times)
    return {
        "files": len(files),
        "mean_s": round(mean, 3),
        "per_s": round(1 / mean, 3),
        "load_before": before,
        "load_after": load(),
    }


def tiny_inputs(folder: Path, n: int, distinct: int = 50) -> list[Path]:
    rng = np.random.default_rng(0)
    contents = []
    for _ in range(distinct):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(buffer, "PNG")
        contents.append(buffer.getvalue())
    paths = []
    for i in range(n):
        path = folder / f"{i // 1000:02d}" / f"tiny-{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents[i % distinct])
        paths.append(path)
    return paths


def resume(work: Path, n: int) -> dict[str, Any]:
    files = tiny_inputs(work / "tiny", n)
    out = work / "resume.parquet"
    parts = out.with_name(out.name + ".parts")
    args = [str(MTECG), "batch", str(work / "tiny"), "--out", str(out), "--chunk-size", "200"]
    before, kills = load(), []
    started = time.perf_counter()
    for _ in range(2):
        wanted = len(list(parts.glob("part-*.parquet"))) + 3
        process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        while len(list(parts.glob("part-*.parquet"))) < wanted and process.poll() is None:
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        kills.append(sum(pq.read_metadata(p).num_rows for p in parts.glob("part-*.parquet")))
    final = subprocess.run([*args, "--json"], capture_output=True, text=True, check=False)
    summary = json.loads(final.stdout.strip().splitlines()[-1])
    rows = pq.read_table(out, columns=["path"])["path"].to_pylist()
    journal = [
        path
        for part in parts.glob("part-*.parquet")
        for path in pq.read_table(part, columns=["path"])["path"].to_pylist()
    ]
    expected = Counter(str(p) for p in files)
    return {
        "files": n,
        "rows_journalled_at_each_kill": kills,
        "final_run_screened": summary["screened"],
        "final_run_skipped": summary["skipped"],
        "every_file_once_in_results": Counter(rows) == expected,
        "every_file_once_in_journal": Counter(journal) == expected,
        "total_s": round(time.perf_counter() - started, 1),
        "load_before": before,
        "load_after": load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--maps-n", type=int, default=40)
    parser.add_argument("--predict-n", type=int, default=3)
    parser.add_argument("--resume-n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mtecg-batch-bench-"))
    report: dict[str, Any] = {"machine": f"{os.cpu_count()} CPUs", "gpu": "none (CPU only)"}
    try:
        data = work / "printouts"
        subprocess.run(
            [str(MTECG), "synth", "--n", str(args.n), "--seed", str(args.seed), "--out", str(data)],
            check=True,
            capture_output=True,
        )
        pdfs = sorted(data.glob("*.pdf"))
        some = [str(p) for p in pdfs[: args.maps_n]]
        common = ["--model", str(DEMO_MODEL), "--batch-size", "16"]
        for workers in (1, 2):
            w = ["--workers", str(workers)]
            report[f"local_{workers}w"] = batch(
                [str(data), "--out", str(work / f"l{workers}.parquet"), *common, *w]
            )
            print(workers, "workers:", report[f"local_{workers}w"], flush=True)
            maps = ["--maps", str(work / f"maps{workers}")]
            report[f"local_{workers}w_maps"] = batch(
                [*some, "--out", str(work / f"m{workers}.parquet"), *common, *w, *maps]
            )
            print(workers, "workers + maps:", report[f"local_{workers}w_maps"], flush=True)
        report["predict_per_file"] = per_file_predict(pdfs[: args.predict_n])
        print("mtecg predict per file:", report["predict_per_file"], flush=True)
        if not args.no_ray:
            ray_args = [str(data), "--out", str(work / "ray.parquet"), *common]
            report["ray_2w"] = batch([*ray_args, "--engine", "ray", "--workers", "2"], ray=True)
            local = report["local_2w"]["per_s"]
            report["ray_2w"]["vs_local_2w"] = round(report["ray_2w"]["per_s"] / local, 3)
            print("ray:", report["ray_2w"], flush=True)
        if args.resume_n:
            report["resume"] = resume(work, args.resume_n)
            print("resume:", report["resume"], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
