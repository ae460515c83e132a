"""Overload: bursts of three times the admission capacity at the real server.

With MTECG_QUEUE_SIZE=2, each burst of 6 simultaneous uploads must split into admitted
uploads that all succeed (201) and refusals that are 503 `overloaded` with Retry-After; never
a 500, never a hang. The server's resident memory (process and sandbox workers, from /proc) is
sampled throughout and must stay within a generous bound of its warm baseline: refusing work
must not cost memory.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from support.reliability_harness import (
    Deployment,
    Outcome,
    Server,
    api_key,
    deployment,
    migrate,
    upload,
)

CAPACITY = 2
BURST = 3 * CAPACITY
BURSTS = 5
#: Generous: a warm server with a tiny model is a few hundred MB; bursts must not add a GiB.
GROWTH_BOUND = 1024 * 2**20
#: "Does not hang": an upload answered within this, admitted or refused.
ANSWER_BOUND_S = 60


@dataclass
class MemorySampler:
    """Samples the server's RSS every 50 ms in a thread; keeps the peaks."""

    server: Server
    peak_process: int = 0
    peak_group: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            process, group = self.server.memory()
            self.peak_process = max(self.peak_process, process)
            self.peak_group = max(self.peak_group, group)
            time.sleep(0.05)


def burst(dep: Deployment, key: str, printout: bytes) -> list[Outcome]:
    """BURST uploads released together (a barrier), each on its own connection."""
    gate = threading.Barrier(BURST)

    def one(_: int) -> Outcome:
        with httpx.Client() as client:
            gate.wait()
            return upload(client, dep, key, printout, timeout_s=ANSWER_BOUND_S)

    with ThreadPoolExecutor(BURST) as pool:
        return list(pool.map(one, range(BURST)))


def test_bursts_of_three_times_capacity(
    tmp_path: Path, package: Path, printouts: list[bytes]
) -> None:
    dep = deployment(tmp_path, f"sqlite:///{tmp_path / 'mtecg.db'}", package, queue_size=CAPACITY)
    migrate(dep)
    key = api_key(dep, "busy")
    server = Server(dep, tmp_path / "server.log")
    try:
        server.start()
        with httpx.Client() as client:
            assert upload(client, dep, key, printouts[0]).status == 201  # warm
        base_process, base_group = server.memory()
        results = []
        with MemorySampler(server) as memory:
            for index in range(BURSTS):
                results.append(burst(dep, key, printouts[index % len(printouts)]))
        with httpx.Client() as client:
            assert httpx.get(f"{dep.base}/readyz").status_code == 200
            assert upload(client, dep, key, printouts[1]).status == 201
    finally:
        server.close()

    outcomes = [o for r in results for o in r]
    statuses = Counter(o.status for o in outcomes)
    print(
        f"\nstatuses {dict(statuses)}; RSS MB process {base_process / 2**20:.0f} -> peak "
        f"{memory.peak_process / 2**20:.0f}, group {base_group / 2**20:.0f} -> peak "
        f"{memory.peak_group / 2**20:.0f}; slowest refusal "
        f"{max((o.seconds for o in outcomes if o.status == 503), default=0):.2f} s"
    )
    assert set(statuses) <= {201, 503}, statuses
    for refused in (o for o in outcomes if o.status == 503):
        assert refused.code == "overloaded" and int(refused.retry_after or 0) > 0, refused
        assert refused.content_type.startswith("application/problem+json")
    # The queue starts empty at each burst, so at least CAPACITY of its uploads are admitted.
    assert all(sum(o.status == 201 for o in r) >= CAPACITY for r in results), results
    assert statuses[503] > 0, "three times the capacity at once was never refused"
    assert memory.peak_process - base_process < GROWTH_BOUND
    assert memory.peak_group - base_group < GROWTH_BOUND
