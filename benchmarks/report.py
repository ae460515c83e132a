"""Every benchmark figure from one command, written into benchmarks/README.md.

Run: `make bench` (= `.venv/bin/python benchmarks/report.py --json benchmarks/results/report.json`);
`--quick` for a smoke run of about three minutes, `--no-readme` to leave the README alone.

Why one command: figures measured on different days, machines or commits cannot be compared,
and hand-copied tables go stale. This script measures, in one run on this machine, for the demo
package (`models/demo`, or --model) and the published architecture (resnet34d at 384 px, random
weights):
- stage timings of ingest + layout (`benchmarks/preprocess.py`) and of the model
  (`benchmarks/model.py`);
- end-to-end screening latency on synthetic `siriraj-grid` PDFs (`mtecg synth`): ours
  (sandboxed preprocess + prediction), ours with both Grad-CAM++ maps (from the prediction's own
  forward pass, as the service makes them), and the published app's pipeline
  (`benchmarks/baseline.py`), interleaved on the same files so that drift in the machine's
  speed hits all three alike; the ratios against the goals (ours at least 4x faster than the
  baseline, and at least 2x with both maps);
- peak resident memory of each pipeline, cold start (a fresh process: imports, package load,
  first prediction) and, when `benchmarks/load.py` exists, a load test at 1/4/16 clients of
  our server and the published app (`baseline_app.py`) in the same run: the headline figure.
It then rewrites the part of benchmarks/README.md between the report markers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import baseline
import model as model_bench
import numpy as np
import preprocess as preprocess_bench
import torch

from mtecg.ingest.sandbox import Sandbox
from mtecg.model.package import load_package
from mtecg.model.predictor import Predictor
from mtecg.model.runtime import DEFAULT_RUNTIME
from mtecg.preprocess import preprocess_in_sandbox
from mtecg.timing import Stopwatch

REPO = Path(__file__).resolve().parent.parent
README = REPO / "benchmarks" / "README.md"
LOAD_SCRIPT = REPO / "benchmarks" / "load.py"
MTECG = Path(sys.executable).parent / "mtecg"
START, END = "<!-- report:start -->", "<!-- report:end -->"
BASELINE, OURS, OURS_MAPS = "baseline", "ours", "ours + maps"
LOAD_CLIENTS = (1, 4, 16)
# The model on the CPU always, and on the GPU too where there is one.
DEVICES = ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)

Steps = dict[str, float]
Outcome = tuple[np.ndarray, Steps]  # positive-class probability per task, ms per step
Pipeline = Callable[[bytes], Outcome]


@dataclass(frozen=True)
class Options:
    """How much to measure: `--quick` shrinks every count to a smoke run."""

    pdfs: int
    seed: int
    runs: int
    stage_runs: int
    cold_repeats: int
    model: Path
    quick: bool

    @classmethod
    def parse(cls, args: argparse.Namespace) -> Options:
        if args.quick:
            return cls(2, args.seed, 1, 2, 1, args.model, True)
        return cls(args.pdfs, args.seed, args.runs, args.stage_runs, 3, args.model, False)


# -- the machine --------------------------------------------------------------------------------


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()


def _cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo (platform.processor() is often empty)."""
    try:
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    except OSError:
        match = None
    return match.group(1).strip() if match else platform.processor() or "unknown CPU"


def machine() -> dict[str, Any]:
    """What the figures were measured on: without this they mean nothing."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "gpu": gpu,
        "python": platform.python_version(),
        "load_average_before": round(os.getloadavg()[0], 2),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


# -- memory -------------------------------------------------------------------------------------


def _reset_peak_rss() -> None:
    """Resets this process's VmHWM (Linux >= 4.0), so that a peak belongs to one pipeline."""
    Path("/proc/self/clear_refs").write_text("5")


def _vm_hwm_mb(status: str) -> float:
    """VmHWM of a /proc/PID/status text in MB; 0 when absent (a zombie, no /proc)."""
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return round(int(match.group(1)) / 1024, 1) if match else 0.0


def _peak_rss_mb() -> float:
    return _vm_hwm_mb(Path("/proc/self/status").read_text())


def pdftoppm_peak_mb(pdf: bytes) -> float:
    """Peak RSS of the baseline's poppler subprocess alone, polled from /proc every 5 ms.

    Not wait4's ru_maxrss: that keeps the peak of the forked Python image before exec.
    """
    peak = 0.0
    with tempfile.TemporaryDirectory(prefix="mtecg-bench-") as tmp:
        source = Path(tmp) / "input.pdf"
        source.write_bytes(pdf)
        process = subprocess.Popen(baseline.pdftoppm(source), stdout=subprocess.DEVNULL)
        while process.poll() is None:
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{process.pid}/status").read_text()
                if re.search(r"^Name:\s+pdftoppm$", status, re.M):
                    peak = max(peak, _vm_hwm_mb(status))
            time.sleep(0.005)
    return peak


# -- pipelines ----------------------------------------------------------------------------------


def ours(predictor: Predictor, sandbox: Sandbox, maps: bool) -> Pipeline:
    """Our screening as the service runs it: preprocess in a warm sandbox worker, predict,
    and with `maps` both Grad-CAM++ maps."""
    profile = predictor.manifest.input.profiles[0]

    def screen(pdf: bytes) -> Outcome:
        clock = Stopwatch()
        with clock.stage("preprocess"):
            canonical = preprocess_in_sandbox(sandbox, pdf, profile).layout.canonical
        if maps:
            ((results, _maps),) = predictor.predict_explained([canonical], clock=clock)
        else:
            with clock.stage("predict"):
                (results,) = predictor.predict_batch([canonical])
        return np.array([result.probability for result in results.values()]), clock.ms

    return screen


def published_app(predictor: Predictor) -> Pipeline:
    """The baseline: the published app's naive pipeline with the same predictor."""

    def screen(pdf: bytes) -> Outcome:
        probabilities, steps = baseline.screen(pdf, predictor)
        return probabilities[:, 1], steps

    return screen


def _summary(totals: list[float], steps: list[Steps]) -> dict[str, Any]:
    ordered = sorted(totals)
    p95 = ordered[min(len(ordered) - 1, int(np.ceil(0.95 * len(ordered))) - 1)]
    names = dict.fromkeys(name for row in steps for name in row)
    return {
        "median_ms": round(float(np.median(totals)), 1),
        "p95_ms": round(p95, 1),
        "samples": len(totals),
        "steps_median_ms": {
            name: round(float(np.median([row.get(name, 0.0) for row in steps])), 1)
            for name in names
        },
    }


def end_to_end(pipelines: dict[str, Pipeline], pdfs: list[bytes], runs: int) -> dict[str, Any]:
    """Interleaved timings of every pipeline on every PDF, and how far their answers differ."""
    for screen in pipelines.values():
        screen(pdfs[0])  # warm-up: first-call allocations, worker caches
    totals: dict[str, list[float]] = {name: [] for name in pipelines}
    steps: dict[str, list[Steps]] = {name: [] for name in pipelines}
    answers: dict[str, list[np.ndarray]] = {name: [] for name in pipelines}
    for _ in range(runs):
        for pdf in pdfs:
            for name, screen in pipelines.items():
                start = time.perf_counter()
                probabilities, timing = screen(pdf)
                totals[name].append((time.perf_counter() - start) * 1000)
                steps[name].append(timing)
                answers[name].append(probabilities)
    result: dict[str, Any] = {name: _summary(totals[name], steps[name]) for name in pipelines}
    gap = np.abs(np.array(answers[OURS]) - np.array(answers[BASELINE]))
    result["max_probability_gap"] = round(float(gap.max()), 4)
    return result


def peak_memory(pipelines: dict[str, Pipeline], pdf: bytes) -> dict[str, float]:
    """Peak RSS of this (screening) process while each pipeline screens one PDF."""
    peaks = {}
    for name, screen in pipelines.items():
        _reset_peak_rss()
        screen(pdf)
        peaks[name] = _peak_rss_mb()
    return peaks


def goals(e2e: dict[str, Any]) -> dict[str, Any]:
    """The two speed goals against the baseline, as ratios of medians."""
    base = e2e[BASELINE]["median_ms"]
    speedup = base / e2e[OURS]["median_ms"]
    speedup_maps = base / e2e[OURS_MAPS]["median_ms"]
    return {
        "baseline_over_ours": round(speedup, 2),
        "baseline_over_ours_with_maps": round(speedup_maps, 2),
        "ours_at_least_4x_faster": speedup >= 4.0,
        "ours_with_maps_at_least_2x_faster": speedup_maps >= 2.0,
    }


def screening(
    name: str, package_dir: Path, sandbox: Sandbox, pdfs: list[bytes], runs: int, device: str
) -> dict[str, Any]:
    """End-to-end latency, memory and goals of one package on the synthetic PDFs.

    Ours runs on the service's default runtime, the baseline on PyTorch as the published app.
    """
    predictor = Predictor(load_package(package_dir), device=device, runtime=DEFAULT_RUNTIME)
    published = Predictor(load_package(package_dir), device=device)
    pipelines = {
        OURS: ours(predictor, sandbox, maps=False),
        OURS_MAPS: ours(predictor, sandbox, maps=True),
        BASELINE: published_app(published),
    }
    e2e = end_to_end(pipelines, pdfs, runs)
    memory = peak_memory(pipelines, pdfs[0])
    return {
        "model": name,
        "end_to_end": e2e,
        "goals": goals(e2e),
        "peak_rss_mb": {
            **memory,
            "sandbox worker": round(sandbox.peak_rss_bytes() / 2**20, 1),
            "pdftoppm": pdftoppm_peak_mb(pdfs[0]),
        },
    }


# -- cold start ---------------------------------------------------------------------------------

_COLD_START = """
import json, sys, time
t0 = time.perf_counter()
from mtecg.model.package import load_package
from mtecg.model.predictor import Predictor
from mtecg.preprocess import preprocess
t1 = time.perf_counter()
predictor = Predictor(load_package(sys.argv[1]), device="cpu")
t2 = time.perf_counter()
data = open(sys.argv[2], "rb").read()
predictor.predict_batch([preprocess(data, predictor.manifest.input.profiles[0]).layout.canonical])
t3 = time.perf_counter()
print(json.dumps({"imports_ms": (t1 - t0) * 1e3, "load_ms": (t2 - t1) * 1e3,
                  "first_prediction_ms": (t3 - t2) * 1e3}))
"""


def cold_start(package_dir: Path, pdf: Path, repeats: int) -> dict[str, float]:
    """Median over fresh processes of: process start to first answer, and its parts."""
    rows = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _COLD_START, str(package_dir), str(pdf)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append({"process_ms": (time.perf_counter() - start) * 1000, **row})
    return {key: round(float(np.median([row[key] for row in rows])), 1) for key in rows[0]}


# -- load test ----------------------------------------------------------------------------------


def load_test(package: Path | None, quick: bool) -> dict[str, Any]:
    """`benchmarks/load.py --json` at 1/4/16 clients against the real server, or why not.

    `package` None serves the published architecture with random weights.
    """
    if not LOAD_SCRIPT.exists():
        return {"not_run": "benchmarks/load.py does not exist"}
    served = (
        ["--model", str(package)] if package else ["--arch", "resnet34d", "--image-size", "384"]
    )
    brief = ["--duration", "5", "--requests", "3", "--crash-kills", "0"] if quick else []
    with tempfile.TemporaryDirectory(prefix="mtecg-load-") as tmp:
        out = Path(tmp) / "load.json"
        clients = ",".join(map(str, LOAD_CLIENTS))
        arguments = ["benchmarks/load.py", "--clients", clients, *served, *brief]
        done = subprocess.run(
            [sys.executable, *arguments, "--json", str(out)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"not_run": f"load.py exited {done.returncode}: {' | '.join(tail)}"}
        results = json.loads(out.read_text())
    return {"command": shlex.join(arguments), "exit_status": done.returncode, "results": results}


# -- the report ---------------------------------------------------------------------------------


@contextmanager
def section(title: str) -> Iterator[None]:
    """Says on the console what is being measured and how long it took (runs are long)."""
    print(f"[report] {title} ...", flush=True)
    start = time.perf_counter()
    yield
    print(f"[report] {title}: {time.perf_counter() - start:.0f} s", flush=True)


def synthetic_pdfs(n: int, seed: int, folder: Path) -> list[Path]:
    """`mtecg synth --layout siriraj-grid --format pdf`: the geometry the baseline's crops fit."""
    command = [str(MTECG), "synth", "--n", str(n), "--seed", str(seed)]
    command += ["--layout", "siriraj-grid", "--format", "pdf", "--out", str(folder)]
    subprocess.run(command, check=True, capture_output=True)
    return sorted(folder.glob("*.pdf"))


def packages(model: Path, folder: Path) -> dict[str, Path]:
    """The published architecture (always) and the demo package (when it exists)."""
    found = {"published arch (resnet34d, random weights)": model_bench.published_package(folder)}
    if model.is_dir():
        shown = model.resolve().relative_to(REPO) if model.resolve().is_relative_to(REPO) else model
        found[f"demo package ({shown})"] = model
    return found


def measure_all(options: Options, folder: Path) -> dict[str, Any]:
    """Every measurement, in an order that keeps the machine's state comparable between them."""
    report: dict[str, Any] = {"machine": machine(), "options": {**vars(options)}}
    report["options"]["model"] = str(options.model)
    paths = synthetic_pdfs(options.pdfs, options.seed, folder / "pdfs")
    pdfs = [path.read_bytes() for path in paths]
    models = packages(options.model, folder)
    report["missing_demo"] = not options.model.is_dir()
    with section("ingest + layout stages"):
        report["preprocess"] = [
            preprocess_bench.measure(name, data, options.stage_runs)
            for name, data in preprocess_bench.inputs().items()
        ]
    targets = [
        (f"{name}{'' if d == 'cpu' else f', {d}'}", path, d)
        for name, path in models.items()
        for d in DEVICES
    ]
    with section("model stages"):
        report["model"] = [
            model_bench.measure(label, path, options.stage_runs, d, runtime)
            for label, path, d in targets
            for runtime in (("torch", DEFAULT_RUNTIME) if d == "cpu" else ("torch",))
        ]
    with Sandbox(workers=1) as sandbox:
        report["screening"] = []
        for label, path, d in targets:
            with section(f"end to end, {label}"):
                report["screening"].append(screening(label, path, sandbox, pdfs, options.runs, d))
    with section("cold start"):
        report["cold_start"] = {
            name: cold_start(path, paths[0], options.cold_repeats) for name, path in models.items()
        }
    # Before the load test, whose own server and clients would count in the figure.
    report["machine"]["load_average_after"] = round(os.getloadavg()[0], 2)
    with section("load test"):
        report["load"] = [load_test(None, options.quick)]  # the published architecture
        if options.model.is_dir():
            report["load"].append(load_test(options.model, options.quick))
    return report


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def _header(report: dict[str, Any]) -> list[str]:
    m, o = report["machine"], report["options"]
    gpu = f"GPU {m['gpu']}" if m["gpu"] else "no GPU (CUDA not available: CPU figures only)"
    dirty = " with uncommitted changes" if m["uncommitted_changes"] else ""
    demo = (
        f"\n\nNo demo package at `{o['model']}`: only the published architecture was measured."
        if report["missing_demo"]
        else ""
    )
    return [
        f"Measured {m['date']} with `{report['command']}` (what `make bench` runs) on "
        f"{m['cpu']}, {m['cores']} cores, {gpu}; torch {m['torch']} with {m['torch_threads']} "
        f"threads, Python {m['python']}, commit `{m['commit']}`{dirty}. One-minute load "
        f"average {m['load_average_before']} before the measurements and "
        f"{m['load_average_after']} after them, before the load test (other work on the machine "
        f"slows every pipeline alike; the interleaved ratios hold better than the absolute "
        f"times).{demo}",
        "",
    ]


def _screening_tables(report: dict[str, Any]) -> list[str]:
    o = report["options"]
    rows, steps, memory = [], [], []
    for item in report["screening"]:
        e2e, g = item["end_to_end"], item["goals"]
        cells = [
            f"{_ms(e2e[k]['median_ms'])} (p95 {_ms(e2e[k]['p95_ms'])})"
            for k in (OURS, OURS_MAPS, BASELINE)
        ]
        rows.append(
            [
                item["model"],
                *cells,
                f"{g['baseline_over_ours']:.2f}x",
                f"{g['baseline_over_ours_with_maps']:.2f}x",
                e2e["max_probability_gap"],
            ]
        )
        for name in (OURS, OURS_MAPS, BASELINE):
            parts = ", ".join(f"{k} {_ms(v)}" for k, v in e2e[name]["steps_median_ms"].items())
            steps.append([item["model"], name, parts])
        mem = item["peak_rss_mb"]
        memory.append(
            [
                item["model"],
                *(
                    f"{mem[k]:.0f} MB"
                    for k in (OURS, OURS_MAPS, BASELINE, "sandbox worker", "pdftoppm")
                ),
            ]
        )
    samples = report["screening"][0]["end_to_end"][OURS]["samples"]
    lines = [
        f"End to end, one synthetic `siriraj-grid` PDF -> probabilities: median (p95) of "
        f"{samples} screenings ({o['pdfs']} PDFs x {o['runs']} passes, the three pipelines "
        "interleaved). Ratios are baseline median / ours; the probability gap is the largest "
        "difference between our answer and the baseline's on the same PDF.",
        "",
        *_table(
            [
                "model",
                "ours",
                "ours + both maps",
                "baseline (published app)",
                "baseline / ours (goal >= 4)",
                "baseline / ours + maps (goal >= 2)",
                "probability gap",
            ],
            rows,
        ),
        "",
        *_goal_lines(report),
        "",
        "Where the time goes (median ms per step):",
        "",
        *_table(["model", "pipeline", "steps"], steps),
        "",
        "Peak resident memory while screening one PDF: the screening process (VmHWM reset "
        "before each pipeline), our sandbox worker and the baseline's poppler subprocess.",
        "",
        *_table(["model", "ours", "ours + maps", "baseline", "sandbox worker", "pdftoppm"], memory),
        "",
    ]
    return lines


def _goal_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for item in report["screening"]:
        g = item["goals"]
        fast = "met" if g["ours_at_least_4x_faster"] else "NOT met"
        maps = "met" if g["ours_with_maps_at_least_2x_faster"] else "NOT met"
        lines.append(
            f"- {item['model']}: ours >= 4x faster than the baseline: {fast} "
            f"({g['baseline_over_ours']:.2f}x); ours with both maps >= 2x faster than the "
            f"baseline without: {maps} ({g['baseline_over_ours_with_maps']:.2f}x)."
        )
    return lines


def _stage_tables(report: dict[str, Any]) -> list[str]:
    runs = report["options"]["stage_runs"]
    pre = [
        [
            r["input"],
            _ms(r["in_process_ms"]),
            _ms(r["sandboxed_ms"]),
            f"{r['worker_peak_rss_mb']:.0f} MB",
            ", ".join(f"{k} {v:g}" for k, v in r["stages_ms"].items()),
        ]
        for r in report["preprocess"]
    ]
    net = [
        [
            r["model"],
            f"{r['architecture']}, {r['runtime']}",
            _ms(r["load_ms"]),
            _ms(r["forward_1_ms"]),
            _ms(r["forward_8_per_image_ms"]),
            _ms(r["explain_ms"]),
            f"{r['explain_over_forward']:.2f}x",
            _ms(r["attribution_ms"]),
        ]
        for r in report["model"]
    ]
    cold = [
        [
            name,
            _ms(c["process_ms"]),
            _ms(c["imports_ms"]),
            _ms(c["load_ms"]),
            _ms(c["first_prediction_ms"]),
        ]
        for name, c in report["cold_start"].items()
    ]
    return [
        f"Ingest + layout (`benchmarks/preprocess.py`, median of {runs} runs; stages in ms):",
        "",
        *_table(["input", "in process", "sandboxed", "worker peak RSS", "stages"], pre),
        "",
        f"Model (`benchmarks/model.py`, median of {runs} runs, CPU):",
        "",
        *_table(
            [
                "model",
                "architecture",
                "package load",
                "forward, batch 1",
                "forward, batch 8 (per image)",
                "forward + both maps",
                "maps / forward",
                "lead attribution (after the answer)",
            ],
            net,
        ),
        "",
        "Cold start: a fresh process from start to its first answer (imports, package load "
        "with sha256 check, first preprocess + prediction in process), median of "
        f"{report['options']['cold_repeats']}:",
        "",
        *_table(
            ["model", "process start to answer", "imports", "package load", "first prediction"],
            cold,
        ),
        "",
    ]


def _load_lines(load: dict[str, Any]) -> list[str]:
    if "not_run" in load:
        return [f"Load test: not run ({load['not_run']}).", ""]
    results = load["results"]
    columns = {
        "clients": "clients",
        "sent": "uploads",
        "created": "201",
        "throughput_per_s": "screenings/s",
        "p50_ms": "p50 ms",
        "p95_ms": "p95 ms",
        "p99_ms": "p99 ms",
        "refused_503": "503",
        "no_answer": "no answer",
        "peak_pss_mb": "server peak PSS MB",
        "peak_rss_mb": "summed RSS MB",
    }
    rows = [
        [server, *(level.get(key, "") for key in columns)]
        for server, key in (("ours", "levels"), ("published app", "baseline_levels"))
        for level in results.get(key, [])
    ]
    check = results.get("reconciliation", {})
    lost = check.get("lost", [])
    ratios = ", ".join(f"{n} clients {r:.2f}x" for n, r in results.get("ratios", {}).items())
    return [
        f"Load test of the real server (`.venv/bin/python {load['command']}`; model: "
        f"{results.get('model', '?')}; server start to ready "
        f"{results.get('start_to_ready_s', '?')} s), against the published app "
        "(`baseline_app.py`, same weights) in the same run, alternating slices:",
        "",
        f"**Screenings/s, ours / published app: {ratios or 'not measured'}.**",
        "",
        *_table(["server", *columns.values()], rows),
        "",
        f"Reconciliation: {check.get('acknowledged', '?')} screenings acknowledged with 201, "
        f"{len(lost) if isinstance(lost, list) else lost} lost; crash phase: "
        f"{json.dumps(results['crash']) if 'crash' in results else 'not run'}; "
        f"load.py exit status {load['exit_status']}.",
        "",
    ]


def render(report: dict[str, Any]) -> str:
    """The README section: header, screening tables, stage tables, load test."""
    lines = [
        *_header(report),
        *_screening_tables(report),
        *_stage_tables(report),
        *(line for load in report["load"] for line in _load_lines(load)),
    ]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(markdown: str) -> None:
    """Replaces what lies between the report markers; refuses to guess where they went."""
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{README} lacks the {START} ... {END} markers")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{START}\n{markdown}{END}{tail}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=int, default=5, help="synthetic siriraj-grid PDFs")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the synthetic PDFs")
    parser.add_argument("--runs", type=int, default=3, help="end-to-end passes over the PDFs")
    parser.add_argument("--stage-runs", type=int, default=9, help="runs per stage benchmark")
    parser.add_argument("--model", type=Path, default=REPO / "models" / "demo")
    parser.add_argument("--json", type=Path, help="also write every figure here as JSON")
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny counts")
    parser.add_argument("--no-readme", action="store_true", help="leave benchmarks/README.md")
    args = parser.parse_args()
    options = Options.parse(args)
    with tempfile.TemporaryDirectory(prefix="mtecg-report-") as tmp:
        report = measure_all(options, Path(tmp))
    report["command"] = shlex.join([".venv/bin/python", "benchmarks/report.py", *sys.argv[1:]])
    markdown = render(report)
    print(markdown)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str))
    if not args.no_readme:
        update_readme(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
