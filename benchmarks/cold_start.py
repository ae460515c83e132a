"""Server cold start: `mtecg serve` from exec to `GET /readyz` answering 200.

For each package (the published architecture, timm resnet34d at 384 px with random weights,
and the demo package `models/demo`) it starts the real server on a temporary, migrated SQLite
database, twice: first with an empty runtime cache (`MTECG_RUNTIME_CACHE_DIR`: the backbone's
graph is exported and checked against PyTorch) and then with the cache that start wrote (what
every later start of a deployment pays). It prints the wall time to ready and the CPU seconds
spent by then by the server process, and by it with its children (the sandbox's worker template
and workers, which start beside the model and are not waited for), then a
`python -X importtime` breakdown of one cached start: the slowest top-level packages the
serving path imports. The load average is printed with the figures: on a busy machine the wall
times grow, the CPU seconds much less.

    .venv/bin/python benchmarks/cold_start.py [--runs 1] [--top 15] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

import model as model_bench  # benchmarks/model.py: the published package

REPO = Path(__file__).resolve().parents[1]

READY_TIMEOUT_S = 300.0


def _tree_cpu_s(root: int) -> tuple[float, float]:
    """User + system CPU seconds of `root` alone, and of it with its live descendants (the
    sandbox's worker template and workers; reaped ones included)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = sum(int(f) for f in fields[11:15]) / tick
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    return cpu.get(root, 0.0), sum(cpu.get(pid, 0.0) for pid in tree)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(folder: Path, package: Path, cache: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MTECG_DATABASE_URL": f"sqlite:///{folder / 'mtecg.db'}",
        "MTECG_MODEL_DIR": str(package),
        "MTECG_DATA_DIR": str(folder / "data"),
        "MTECG_KEY_DIR": str(folder / "keys"),
        "MTECG_AUDIT_CHECKPOINT_FILE": str(folder / "audit" / "checkpoints.jsonl"),
        "MTECG_RUNTIME_CACHE_DIR": str(cache),
        "MTECG_DEVICE": "cpu",
    }


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_to_ready(env: dict[str, str], importtime: bool = False) -> dict[str, Any]:
    """One server start: wall and CPU seconds to ready; the importtime lines when asked."""
    port = _free_port()
    flags = ["-X", "importtime"] if importtime else []
    command = [sys.executable, *flags, "-m", "mtecg.cli", "serve", "--port", str(port)]
    # stderr to a file: -X importtime writes more than a pipe holds before anyone reads it.
    with tempfile.TemporaryFile("w+") as log:
        begin = time.perf_counter()
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            while not _ready(port):
                if server.poll() is not None or time.perf_counter() - begin > READY_TIMEOUT_S:
                    log.seek(0)
                    raise RuntimeError(f"server not ready: {log.read()[-2000:]}")
                time.sleep(0.02)
            wall = time.perf_counter() - begin
            server_cpu, tree_cpu = _tree_cpu_s(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log.seek(0)
        stderr = log.read()
    result: dict[str, Any] = {
        "wall_s": round(wall, 2),
        "server_cpu_s": round(server_cpu, 2),
        "tree_cpu_s": round(tree_cpu, 2),
    }
    if importtime:
        result["imports"] = stderr
    return result


def _import_rows(stderr: str) -> list[tuple[str, int]]:
    """(module, self microseconds) of each `-X importtime` line."""
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            own, _, name = line[len("import time:") :].split("|")
            if own.strip().isdigit():
                rows.append((name.strip(), int(own)))
    return rows


def top_imports(stderr: str, top: int) -> list[tuple[str, float]]:
    """Top-level packages by the import time of all their modules (self ms), slowest first."""
    totals: dict[str, float] = defaultdict(float)
    for name, own in _import_rows(stderr):
        totals[name.split(".")[0]] += own / 1000
    return sorted(totals.items(), key=lambda item: -item[1])[:top]


def serving_imports(stderr: str) -> list[str]:
    """Every top-level package the serving path imported."""
    return sorted({name.split(".")[0] for name, _ in _import_rows(stderr)})


def measure(package: Path, runs: int, top: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mtecg-cold-") as name:
        folder = Path(name)
        env = _environment(folder, package, folder / "runtime")
        subprocess.run(
            [sys.executable, "-m", "mtecg.cli", "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        first = start_to_ready(env)
        cached = [start_to_ready(env) for _ in range(runs)]
        profiled = start_to_ready(env, importtime=True)
    stderr = profiled.pop("imports")
    return {
        "first_start": first,
        "cached_start": min(cached, key=lambda row: row["wall_s"]),
        "cached_start_importtime": profiled,
        "top_imports_ms": top_imports(stderr, top),
        "imported": serving_imports(stderr),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="cached starts (the best is shown)")
    parser.add_argument("--top", type=int, default=15, help="packages in the import breakdown")
    parser.add_argument("--model", type=Path, default=REPO / "models" / "demo")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    report: dict[str, Any] = {"load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="mtecg-cold-pkg-") as name:
        packages = {
            "published arch (resnet34d 384 px, random weights)": model_bench.published_package(
                Path(name)
            ),
            f"demo package ({args.model.name})": args.model,
        }
        for title, package in packages.items():
            figures = measure(package, args.runs, args.top)
            report[title] = figures
            print(f"== {title}")
            for key in ("first_start", "cached_start", "cached_start_importtime"):
                row = figures[key]
                print(
                    f"  {key:24} wall {row['wall_s']:6.2f} s   server cpu "
                    f"{row['server_cpu_s']:6.2f} s   with sandbox {row['tree_cpu_s']:6.2f} s"
                )
            print("  slowest imports (self ms of all their modules, -X importtime, cached start):")
            for module, ms in figures["top_imports_ms"]:
                print(f"    {module:28} {ms:8.0f}")
    report["load_after"] = os.getloadavg()
    print(f"load average before {report['load_before']}, after {report['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
