"""Load on the real screening service: throughput, latency and 503s for N concurrent clients,
then a reconciliation of every acknowledged screening against the database.

Run: `.venv/bin/python benchmarks/load.py [--model DIR | --arch resnet34d --image-size 384]
[--clients 1,4,16] [--duration 20] [--database-url URL] [--no-baseline] [--json PATH]`.

Loopback only and bounded: the server (`scripts/backend.sh serve`, exactly as deployed) listens
on 127.0.0.1 on a free port, on a temporary SQLite database unless --database-url names another
(PostgreSQL); each level runs for --duration seconds and at most --requests uploads per client.
The printouts are a few distinct synthetic PDFs from `mtecg synth`, reused; the client is an
API key made with `mtecg api-keys create`. A client that gets 503 waits the Retry-After it was
given, as a well-behaved client does, so 503 counts show how often the bounded queue refused.
After the levels, --crash-kills SIGKILLs the server's process group under load from the largest
client count and restarts it (default once). Finally every id acknowledged with 201, in any
phase, is looked up in the database (row, success audit row, image files): `lost=0` or the ids.

Unless --no-baseline, the published app (`baseline_app.py`: its per-request pipeline on the
event loop, same weights) runs beside ours on another free port, and every level alternates
between the two in slices of a quarter of --duration (ours, published, ours, published), so a
change in the machine's load during the run hits both alike; the headline is the ratio of
their screenings/s at each client count.

Figures are measurements, not goals; no test asserts on them (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from baseline_app import PREDICT_PATH

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "backend.sh"
MTECG = Path(sys.executable).parent / "mtecg"
DEMO_MODEL = REPO / "models" / "demo"
UPLOAD_PATH = "/api/v1/screenings"
BASELINE_APP = REPO / "benchmarks" / "baseline_app.py"
SLICES = 2  # per level and server: ours, published, ours, published
PRINTOUTS = 4


# -- the model --------------------------------------------------------------------------------


def choose_model(args: argparse.Namespace, work: Path) -> tuple[Path, str]:
    """The package to serve and how to describe it in the report."""
    if args.model is not None:
        return args.model, f"package {args.model}"
    if args.arch is None and DEMO_MODEL.is_dir():
        return DEMO_MODEL, f"package {DEMO_MODEL.relative_to(REPO)}"
    from model import published_package  # benchmarks/model.py; it imports torch, so only here

    arch = args.arch or "resnet34d"
    if args.arch is None:
        print(f"no package at {DEMO_MODEL}: serving the published architecture instead")
    return (
        published_package(work, arch, args.image_size),
        f"{arch} at {args.image_size} px, random weights",
    )


# -- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(args: argparse.Namespace, work: Path, model: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "MTECG_DATABASE_URL": args.database_url or f"sqlite:///{work / 'mtecg.db'}",
        "MTECG_DATA_DIR": str(work / "data"),
        # this run's own checkpoints: the default file would hold another run's chain heads
        "MTECG_AUDIT_CHECKPOINT_FILE": str(work / "audit-checkpoints.jsonl"),
        "MTECG_MODEL_DIR": str(model),
        "MTECG_HOST": "127.0.0.1",
        "MTECG_PORT": str(free_port()),
        "MTECG_SECRET_KEY": secrets.token_hex(16),
        "MTECG_DEVICE": args.device,
    }
    if args.queue_size:
        env["MTECG_QUEUE_SIZE"] = str(args.queue_size)
    if args.sandbox_workers:
        env["MTECG_SANDBOX_WORKERS"] = str(args.sandbox_workers)
    return env


def run_cli(env: dict[str, str], *args: str, must_succeed: bool = True) -> dict[str, Any]:
    """`mtecg ARGS --json`; its one JSON object (exits on failure when it must succeed)."""
    done = subprocess.run(
        [str(MTECG), *args, "--json"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0 and must_succeed:
        sys.exit(f"mtecg {' '.join(args)} failed: {done.stdout}{done.stderr}")
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        result = {"status": f"exit {done.returncode}", "stderr": done.stderr[-500:]}
    return result


class Server:
    """A server in its own process group (a kill takes its workers too): by default ours,
    `scripts/backend.sh serve`, or `command` listening on `port`."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        command: list[str] | None = None,
        port: int | None = None,
    ) -> None:
        self.env = env
        self.log = log
        self.command = command or [str(SCRIPT), "serve"]
        self.base = f"http://127.0.0.1:{port or env['MTECG_PORT']}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 300) -> float:
        """Starts it; returns the seconds until /readyz said 200."""
        started = time.perf_counter()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        while time.perf_counter() - started < timeout_s:
            try:
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.kill()
        sys.exit("the server did not become ready:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM: in-flight screenings drain before it exits."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=120)
        finally:
            self.kill()

    def memory(self) -> GroupMemory:
        """Memory of the server and its sandbox workers now (its process group)."""
        return GroupMemory.of_group(self.process.pid) if self.process is not None else GroupMemory()


@dataclass(frozen=True)
class ProcessMemory:
    """One process's memory in MB from /proc/PID/smaps_rollup: RSS counts every resident page
    it maps; PSS divides each page by the number of processes mapping it, so PSS summed over
    a group is what the group really costs; USS (Private_*) is what ending it would free."""

    role: str  # server, sandbox template, sandbox worker (or the command's name)
    rss_mb: float
    pss_mb: float
    uss_mb: float


def _role(pid: int, group: int) -> str:
    if pid == group:
        return "server"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    if b"mtecg.ingest.zygote" not in command:
        return command.split(b"\0")[0].decode(errors="replace").rsplit("/", 1)[-1]
    try:  # a worker is the template's child (a fork: same command line)
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return "?"
    return "sandbox template" if parent == group else "sandbox worker"


def process_memory(pid: int, group: int) -> ProcessMemory | None:
    """None once the process is gone or its smaps_rollup cannot be read."""
    try:
        fields = {
            name: int(rest.split()[0])
            for name, _, rest in (
                line.partition(":")
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
            )
        }
    except (OSError, ValueError, IndexError):
        return None
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return ProcessMemory(
        _role(pid, group),
        fields.get("Rss", 0) / 1024,
        fields.get("Pss", 0) / 1024,
        private / 1024,
    )


@dataclass(frozen=True)
class GroupMemory:
    """A process group's memory at one moment: sums, and each process."""

    processes: tuple[ProcessMemory, ...] = ()

    @classmethod
    def of_group(cls, group: int) -> GroupMemory:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != group:
                    continue
            except OSError:
                continue
            memory = process_memory(int(entry.name), group)
            if memory is not None:
                found.append(memory)
        return cls(tuple(sorted(found, key=lambda m: (m.role != "server", m.role, -m.pss_mb))))

    @property
    def rss_mb(self) -> float:
        return sum(p.rss_mb for p in self.processes)

    @property
    def pss_mb(self) -> float:
        return sum(p.pss_mb for p in self.processes)

    @property
    def uss_mb(self) -> float:
        return sum(p.uss_mb for p in self.processes)

    def by_role(self) -> dict[str, dict[str, float]]:
        """PSS and RSS per role (summed over its processes) and how many there are."""
        roles: dict[str, dict[str, float]] = {}
        for p in self.processes:
            role = roles.setdefault(p.role, {"count": 0, "pss_mb": 0.0, "rss_mb": 0.0})
            role["count"] += 1
            role["pss_mb"] = round(role["pss_mb"] + p.pss_mb, 1)
            role["rss_mb"] = round(role["rss_mb"] + p.rss_mb, 1)
        return roles


# -- clients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One upload as its client saw it; status 0: no HTTP answer (refused, reset)."""

    status: int
    seconds: float
    screening_id: str | None = None
    code: str | None = None
    retry_after: float | None = None
    error: str = ""  # the transport error's name when there was no answer

    @property
    def sent(self) -> bool:
        """False only when no connection was made (the server was down): nothing was sent."""
        return self.error != "ConnectError"


@dataclass(frozen=True)
class Target:
    """Where a client uploads: ours (API key, 201 with an id) or the published app (200)."""

    base: str
    path: str = UPLOAD_PATH
    headers: dict[str, str] = field(default_factory=dict)
    created: int = 201


def ours_target(server: Server, key: str) -> Target:
    return Target(server.base, headers={"Authorization": f"Bearer {key}"})


def upload_once(client: httpx.Client, target: Target, data: bytes) -> Sample:
    started = time.perf_counter()
    try:
        response = client.post(
            f"{target.base}{target.path}",
            files={"file": ("ecg.pdf", data, "application/pdf")},
            headers=target.headers,
            timeout=180,
        )
    except httpx.TransportError as error:
        return Sample(0, time.perf_counter() - started, error=type(error).__name__)
    seconds = time.perf_counter() - started
    try:
        body = response.json()
    except ValueError:
        body = {}
    retry = response.headers.get("retry-after")
    created = response.status_code == target.created
    body = body if isinstance(body, dict) else {}
    return Sample(
        201 if created else response.status_code,  # 201: screened, whichever server
        seconds,
        screening_id=body.get("id") if created else None,
        code=body.get("code"),
        retry_after=float(retry) if retry and retry.isdigit() else None,
    )


@dataclass
class Clients:
    """N threads uploading the printouts in turn until `stop_at` or `per_client` uploads."""

    count: int
    target: Target
    printouts: list[bytes]
    per_client: int
    stop_at: float
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        threads = [threading.Thread(target=self._client, args=(i,)) for i in range(self.count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _client(self, index: int) -> None:
        with httpx.Client() as client:
            for n in range(self.per_client):
                if time.monotonic() >= self.stop_at:
                    return
                data = self.printouts[(index + n) % len(self.printouts)]
                sample = upload_once(client, self.target, data)
                with self.lock:
                    self.samples.append(sample)
                if sample.status == 503 or sample.status == 0:
                    pause = sample.retry_after or 0.5
                    time.sleep(max(0.0, min(pause, self.stop_at - time.monotonic())))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (the value q % of samples are at or below)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


@dataclass
class Level:
    clients: int
    seconds: float
    sent: int
    created: int
    refused_503: int
    refused_with_retry_after: int
    other_errors: dict[str, int]
    no_answer: int
    throughput_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    peak_pss_mb: float  # the headline: what the group really costs (shared pages once)
    peak_rss_mb: float  # summed RSS: pages shared by the server and its workers count twice
    peak_uss_mb: float
    peak_by_role: dict[str, dict[str, float]]  # at the moment of peak PSS


def summarise(clients: int, samples: list[Sample], seconds: float, peak: Peaks) -> Level:
    latencies = [s.seconds * 1000 for s in samples if s.status == 201]
    refused = [s for s in samples if s.status == 503]
    others = Counter(f"{s.status} {s.code}" for s in samples if s.status not in (0, 201, 503))
    return Level(
        clients=clients,
        seconds=round(seconds, 2),
        sent=len(samples),
        created=len(latencies),
        refused_503=len(refused),
        refused_with_retry_after=sum(s.retry_after is not None for s in refused),
        other_errors=dict(others),
        no_answer=sum(s.status == 0 for s in samples),
        throughput_per_s=round(len(latencies) / seconds, 3) if seconds else 0.0,
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        mean_ms=round(statistics.fmean(latencies), 1) if latencies else float("nan"),
        peak_pss_mb=round(peak.pss_mb, 1),
        peak_rss_mb=round(peak.rss_mb, 1),
        peak_uss_mb=round(peak.uss_mb, 1),
        peak_by_role=peak.at_pss_peak.by_role(),
    )


@dataclass
class Peaks:
    """The highest sums seen (each on its own), and the group at the moment of peak PSS."""

    pss_mb: float = 0.0
    rss_mb: float = 0.0
    uss_mb: float = 0.0
    at_pss_peak: GroupMemory = field(default_factory=GroupMemory)

    def add(self, now: GroupMemory) -> None:
        if now.pss_mb > self.pss_mb:
            self.pss_mb, self.at_pss_peak = now.pss_mb, now
        self.rss_mb = max(self.rss_mb, now.rss_mb)
        self.uss_mb = max(self.uss_mb, now.uss_mb)

    def merge(self, other: Peaks) -> Peaks:
        merged = Peaks(max(self.pss_mb, other.pss_mb), max(self.rss_mb, other.rss_mb))
        merged.uss_mb = max(self.uss_mb, other.uss_mb)
        merged.at_pss_peak = self.at_pss_peak if self.pss_mb >= other.pss_mb else other.at_pss_peak
        return merged


class MemorySampler:
    """The server group's peak memory while a level runs (sampled every 100 ms)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peaks = Peaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peaks.add(self.server.memory())
            time.sleep(0.1)


def memory_record(memory: GroupMemory) -> dict[str, Any]:
    """Sums and each role of one sample, for the JSON report."""
    return {
        "pss_mb": round(memory.pss_mb, 1),
        "rss_mb": round(memory.rss_mb, 1),
        "uss_mb": round(memory.uss_mb, 1),
        "by_role": memory.by_role(),
    }


def run_slice(
    server: Server, target: Target, printouts: list[bytes], count: int, seconds: float, most: int
) -> tuple[list[Sample], float, Peaks]:
    """`count` clients on one server for `seconds`: (samples, seconds taken, peak memory)."""
    clients = Clients(count, target, printouts, most, time.monotonic() + seconds)
    started = time.perf_counter()
    with MemorySampler(server) as memory:
        clients.run()
    return clients.samples, time.perf_counter() - started, memory.peaks


def run_level(
    servers: list[tuple[Server, Target]],
    printouts: list[bytes],
    count: int,
    args: argparse.Namespace,
) -> list[tuple[Level, list[Sample]]]:
    """One client count on each server; with two, in alternating slices (ours first)."""
    slices = SLICES if len(servers) > 1 else 1
    seconds = args.duration / slices
    most = max(1, args.requests // slices)
    gathered: list[tuple[list[Sample], float, Peaks]] = [([], 0.0, Peaks()) for _ in servers]
    for _ in range(slices):
        for i, (server, target) in enumerate(servers):
            samples, taken, peak = run_slice(server, target, printouts, count, seconds, most)
            done, total, highest = gathered[i]
            gathered[i] = (done + samples, total + taken, highest.merge(peak))
    return [(summarise(count, samples, taken, peak), samples) for samples, taken, peak in gathered]


def crash_phase(
    server: Server, key: str, printouts: list[bytes], count: int, args: argparse.Namespace
) -> tuple[dict[str, Any], list[Sample]]:
    """`count` clients uploading while the server is SIGKILLed and restarted --crash-kills
    times, --duration / (kills + 1) seconds of load before each kill and after the last."""
    # No end until the last restart is done: a slow restart must not end the load early.
    clients = Clients(count, ours_target(server, key), printouts, args.requests, float("inf"))
    runner = threading.Thread(target=clients.run)
    runner.start()
    interval = args.duration / (args.crash_kills + 1)
    restarts = []
    for _ in range(args.crash_kills):
        time.sleep(interval)
        server.kill()
        restarts.append(round(server.start(), 2))
    clients.stop_at = time.monotonic() + interval
    runner.join()
    statuses = Counter(str(s.status or s.error) for s in clients.samples)
    return {
        "clients": count,
        "kills": args.crash_kills,
        "restart_to_ready_s": restarts,
        "attempts": len(clients.samples),
        "statuses": dict(statuses),
    }, clients.samples


# -- reconciliation ---------------------------------------------------------------------------


def reconcile(url: str, data_dir: Path, acknowledged: list[str]) -> dict[str, Any]:
    """Which acknowledged ids have no row, no success audit row, or a missing image file."""
    from sqlalchemy import select

    from mtecg.db.engine import make_engine, session_factory
    from mtecg.db.models import AuditEvent, Screening

    engine = make_engine(url)
    try:
        with session_factory(engine)() as db:
            rows = {
                str(sid): images
                for sid, images in db.execute(
                    select(Screening.id, Screening.images).where(
                        Screening.id.in_([uuid.UUID(a) for a in acknowledged])
                    )
                )
            }
            audited = set(
                db.scalars(
                    select(AuditEvent.object_id).where(
                        AuditEvent.action == "screening.create",
                        AuditEvent.outcome == "success",
                        AuditEvent.object_id.in_(acknowledged),
                    )
                )
            )
    finally:
        engine.dispose()
    lost = [a for a in acknowledged if a not in rows]
    return {
        "acknowledged": len(acknowledged),
        "stored": len(rows),
        "lost": lost,
        "without_audit_row": [a for a in rows if a not in audited],
        "missing_images": [
            a
            for a, images in rows.items()
            if not all((data_dir / p).is_file() for p in images.values())
        ],
    }


# -- report -----------------------------------------------------------------------------------


def print_table(levels: list[Level]) -> None:
    header = (
        f"{'clients':>7} {'sent':>5} {'201':>5} {'503':>5} {'503+RA':>6} {'other':>5} "
        f"{'no-ans':>6} {'scr/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'PSS MB':>7} {'RSS MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for level in levels:
        print(
            f"{level.clients:>7} {level.sent:>5} {level.created:>5} {level.refused_503:>5} "
            f"{level.refused_with_retry_after:>6} "
            f"{sum(level.other_errors.values()):>5} {level.no_answer:>6} "
            f"{level.throughput_per_s:>7.2f} {level.p50_ms:>8.0f} {level.p95_ms:>8.0f} "
            f"{level.p99_ms:>8.0f} {level.peak_pss_mb:>7.0f} {level.peak_rss_mb:>7.0f}"
        )
        roles = ", ".join(
            f"{role} x{int(m['count'])} {m['pss_mb']:.0f} (RSS {m['rss_mb']:.0f})"
            for role, m in level.peak_by_role.items()
        )
        print(f"{'':>7} at peak PSS, MB: {roles}")


def published_server(env: dict[str, str], work: Path, model: Path) -> Server:
    """The published app (`baseline_app.py`) on the same package, on another free port."""
    port = free_port()
    command = [sys.executable, str(BASELINE_APP), "--model", str(model), "--port", str(port)]
    baseline_env = {**env, "PYTHONPATH": str(REPO / "benchmarks")}
    return Server(baseline_env, work / "baseline.log", command=command, port=port)


def ratios(ours: list[Level], published: list[Level]) -> dict[str, float]:
    """Ours / the published app's screenings/s at each client count (the headline figure)."""
    return {
        str(mine.clients): round(mine.throughput_per_s / theirs.throughput_per_s, 2)
        for mine, theirs in zip(ours, published, strict=False)
        if theirs.throughput_per_s
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model package (default models/demo)")
    parser.add_argument("--arch", help="serve a random-weight package of this backbone instead")
    parser.add_argument("--image-size", type=int, default=384, help="input size with --arch")
    parser.add_argument("--clients", default="1,4,16", help="comma-separated client counts")
    parser.add_argument("--duration", type=float, default=20, help="seconds per level")
    parser.add_argument("--requests", type=int, default=200, help="most uploads per client")
    parser.add_argument("--crash-kills", type=int, default=1, help="SIGKILLs in the crash phase")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--queue-size", type=int, help="MTECG_QUEUE_SIZE (default: service's)")
    parser.add_argument("--sandbox-workers", type=int, help="MTECG_SANDBOX_WORKERS")
    parser.add_argument("--device", default="cpu", help="MTECG_DEVICE (cpu, cuda, auto)")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also load the published app (baseline_app.py) in the same run",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    args.levels = [int(n) for n in args.clients.split(",") if n.strip()]
    if not args.levels or min(args.levels) < 1:
        parser.error("--clients needs positive counts")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mtecg-load-") as tmp:
        work = Path(tmp)
        model, model_text = choose_model(args, work)
        env = service_env(args, work, model)
        run_cli(env, "db", "upgrade")
        run_cli(env, "synth", "--n", str(PRINTOUTS), "--seed", "7", "--out", str(work / "pdf"))
        printouts = [p.read_bytes() for p in sorted((work / "pdf").glob("*.pdf"))]
        user = f"load-{secrets.token_hex(3)}"  # a given database may have run this before
        run_cli(env, "users", "create", user, "--generate-password")
        key = str(run_cli(env, "api-keys", "create", "--user", user, "--label", "load")["key"])
        server = Server(env, work / "server.log")
        published = published_server(env, work, model) if args.baseline else None
        results: dict[str, Any] = {"model": model_text, "load_average_before": os.getloadavg()}
        samples: list[Sample] = []
        try:
            results["start_to_ready_s"] = round(server.start(), 2)
            servers = [(server, ours_target(server, key))]
            if published is not None:
                results["baseline_start_to_ready_s"] = round(published.start(), 2)
                servers.append((published, Target(published.base, path=PREDICT_PATH, created=200)))
            with httpx.Client() as client:
                for each, target in servers:
                    warm = upload_once(client, target, printouts[0])
                    if warm.status != 201:
                        sys.exit(f"warm-up upload failed: {warm}\n{each.log.read_text()[-3000:]}")
                    if warm.screening_id:
                        samples.append(warm)
            results["memory_after_warm_up"] = memory_record(server.memory())
            levels, baseline_levels = [], []
            for count in args.levels:
                measured = run_level(servers, printouts, count, args)
                levels.append(measured[0][0])
                samples += measured[0][1]
                if len(measured) > 1:
                    baseline_levels.append(measured[1][0])
            if published is not None:
                published.stop()
            if args.crash_kills:
                results["crash"], crash_samples = crash_phase(
                    server, key, printouts, max(args.levels), args
                )
                samples += crash_samples
            server.stop()
        finally:
            server.kill()
            if published is not None:
                published.kill()
        acknowledged = [s.screening_id for s in samples if s.screening_id]
        check = reconcile(env["MTECG_DATABASE_URL"], work / "data", acknowledged)
        verified = run_cli(env, "audit", "verify", must_succeed=False)
        log = server.log.read_text(errors="replace")
    sent = sum(s.sent for s in samples)
    results.update(
        settings={
            "database": "sqlite (temporary)" if args.database_url is None else "given URL",
            "queue_size": args.queue_size or "service default",
            "duration_s": args.duration,
            "device": args.device,
            "cpus": os.cpu_count(),
        },
        levels=[asdict(level) for level in levels],
        baseline_levels=[asdict(level) for level in baseline_levels],
        ratios=ratios(levels, baseline_levels),
        reconciliation={**check, "sent": sent},
        audit_verify=verified.get("status"),
        database_locked_in_log=log.count("database is locked"),
        load_average_after=os.getloadavg(),
    )
    before, after = results["load_average_before"][0], results["load_average_after"][0]
    print(
        f"model: {model_text}; server ready in {results['start_to_ready_s']} s; "
        f"load average {before:.2f} before, {after:.2f} after"
    )
    rest = results["memory_after_warm_up"]
    print(
        f"ours after the warm-up upload, at rest: PSS {rest['pss_mb']:.0f} MB, "
        f"summed RSS {rest['rss_mb']:.0f} MB, USS {rest['uss_mb']:.0f} MB"
    )
    print("ours:")
    print_table(levels)
    if baseline_levels:
        print("published app (baseline_app.py, same weights, same run):")
        print_table(baseline_levels)
        print(f"screenings/s ours / published by clients: {json.dumps(results['ratios'])}")
    if "crash" in results:
        print(f"crash phase: {json.dumps(results['crash'])}")
    lost = check["lost"]
    print(
        f"sent={sent} acknowledged={check['acknowledged']} stored={check['stored']} "
        f"lost={lost if lost else len(lost)} "
        f"without_audit_row={len(check['without_audit_row'])} "
        f"missing_images={len(check['missing_images'])} audit_verify={results['audit_verify']}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if lost or check["without_audit_row"] or check["missing_images"] else 0


if __name__ == "__main__":
    sys.exit(main())
