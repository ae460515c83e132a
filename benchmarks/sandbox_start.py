"""How long a sandbox worker takes to start: the first of a pool, and a replacement after SIGKILL.

Prints, for each start, the wall time from the call to its answer and the CPU that start cost:
the worker's own CPU, plus the worker template's (`mtecg.ingest.zygote`) when the template was
started for it. The template lives as long as the process, so a second pool (the next app a
test starts) only forks. Load on the machine changes the wall times, so the load average is printed
before and after.

    .venv/bin/python benchmarks/sandbox_start.py [--replacements 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path

from mtecg.ingest.sandbox import Sandbox


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(box: Sandbox) -> dict[str, float]:
    begin = time.perf_counter()
    worker_cpu = box.call(time.process_time)
    wall = time.perf_counter() - begin
    template = box.call(os.getppid)
    return {"wall_s": wall, "worker_cpu_s": worker_cpu, "template_cpu_s": _process_cpu_s(template)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replacements", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures: dict[str, object] = {"load_before": os.getloadavg()}
    with Sandbox(workers=1) as box:
        first = _start(box)
        print(
            f"first worker: {first['wall_s']:.2f} s wall, CPU {first['worker_cpu_s']:.2f} s "
            f"(worker) + {first['template_cpu_s']:.2f} s (template start)"
        )
        replacements = []
        for _ in range(args.replacements):
            os.kill(box.call(os.getpid), signal.SIGKILL)
            time.sleep(0.2)
            start = _start(box)
            replacements.append(start)
            print(
                f"replacement after SIGKILL: {start['wall_s']:.3f} s wall, "
                f"CPU {start['worker_cpu_s']:.3f} s (worker)"
            )
    with Sandbox(workers=1) as box:  # e.g. the next app a test starts: the template is warm
        second_pool = _start(box)
    print(f"first worker of a second pool in this process: {second_pool['wall_s']:.3f} s wall")
    figures.update(
        first=first,
        replacements=replacements,
        second_pool=second_pool,
        load_after=os.getloadavg(),
    )
    print(f"load average before {figures['load_before']}, after {figures['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
