"""`mtecg batch`: its arguments and the run around an engine (journal, import, progress).

Exit status: 0 when every input has a row (refused files are results, not failures), 1 when
the tool itself failed (model, output or database unusable), 2 wrong usage, 130 interrupted
(Ctrl-C or SIGTERM: the rows finished so far are kept; run the same command again to resume).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections import Counter
from collections.abc import Generator, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from mtecg.cli.output import (
    DEVICE_OPTION,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    MODEL_OPTION,
    RUNTIME_OPTION,
    runtime_choice,
)
from mtecg.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:  # the rest is imported when `batch` runs: every `mtecg` command builds this
    from mtecg.batch.engine import Rows
    from mtecg.batch.inputs import Item
    from mtecg.batch.journal import Journal

EXIT_INTERRUPTED: Final = 130
#: A chunk is journalled after this many rows or seconds, whichever comes first: the most
#: work a kill -9 can cost.
CHUNK_SECONDS: Final = 30.0


def register(sub: Any) -> None:
    """Adds the `batch` subcommand to the `mtecg` parser."""
    from mtecg.layout import PROFILE_NAMES

    bat = sub.add_parser(
        "batch",
        parents=[MODEL_OPTION, DEVICE_OPTION, RUNTIME_OPTION],
        help="screen many printouts (files, folders, manifests) into one results table",
        description="Screens every input file with the sandboxed pipeline and one batching "
        "model, writing one row per file to RESULTS (.parquet or .csv). Resumable: run the "
        "same command again after an interruption and finished files are skipped.",
    )
    bat.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help="a file, a folder (recursive) or a manifest CSV with a `path` column "
        "(optional `patient_ref` and the model's clinical inputs)",
    )
    bat.add_argument("--out", type=Path, required=True, help="results: RESULTS.parquet or .csv")
    bat.add_argument("--profile", choices=PROFILE_NAMES, default=None, help="default: model's")
    bat.add_argument("--workers", type=int, default=2, help="sandboxed parser processes")
    bat.add_argument("--batch-size", type=int, default=16, help="images per forward pass")
    bat.add_argument(
        "--maps", type=Path, default=None, metavar="DIR", help="also write Grad-CAM++ maps here"
    )
    bat.add_argument(
        "--import-to-log",
        action="store_true",
        help="also record the screenings in the service's database (MTECG_DATABASE_URL)",
    )
    bat.add_argument("--user", default=None, help="the user the import is recorded under")
    bat.add_argument("--engine", choices=("local", "ray"), default="local")
    bat.add_argument("--address", default=None, help="Ray cluster address (--engine ray)")
    bat.add_argument("--chunk-size", type=int, default=256, help="rows per journal part")
    bat.add_argument("--json", action="store_true", help="print one JSON summary object")
    bat.set_defaults(handler=run_command)


def _usage(message: str) -> int:
    print(f"mtecg batch: {message}", file=sys.stderr)
    return EXIT_USAGE


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class _Sink:
    """Collects finished rows and journals (and imports) them in chunks."""

    def __init__(
        self,
        journal: Journal,
        importer: Any,
        items: Mapping[str, Item],
        chunk_size: int,
        progress: Any,
    ) -> None:
        self.journal, self.importer, self.items = journal, importer, items
        self.chunk_size, self.progress = chunk_size, progress
        self.buffer: Rows = []
        self.flushed_at = time.monotonic()
        self.screened = self.skipped = 0

    def add(self, rows: Rows, skipped: int) -> None:
        self.buffer.extend(rows)
        self.screened += len(rows)
        self.skipped += skipped
        self.progress.update(len(rows) + skipped)
        full = len(self.buffer) >= self.chunk_size
        if full or time.monotonic() - self.flushed_at > CHUNK_SECONDS:
            self.flush()

    def flush(self) -> None:
        rows, self.buffer = self.buffer, []
        self.flushed_at = time.monotonic()
        if not rows:
            return
        if self.importer is None:
            self.journal.write(rows)
            return
        self.importer.assign(rows)
        pending = self.journal.write(rows, pending=True)
        self.importer.record(rows, self.items, self.journal.chunk_id(pending))
        self.journal.commit(pending)


def _summary(table: Any) -> dict[str, Any]:
    from mtecg.batch.schema import STATUS_FAILED, STATUS_OK, STATUS_REFUSED

    statuses = Counter(table["status"].to_pylist())
    codes = Counter(
        code
        for status, code in zip(table["status"].to_pylist(), table["code"].to_pylist(), strict=True)
        if status == STATUS_REFUSED
    )
    return {
        "rows": table.num_rows,
        "read": statuses[STATUS_OK],
        "refused": dict(sorted(codes.items())),
        "failed": statuses[STATUS_FAILED],
    }


def _print_summary(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload, ensure_ascii=False))
        return
    refused = payload.get("refused", {})
    shown = ", ".join(f"{code} {n}" for code, n in refused.items())
    print(
        f"{payload['status']}: {payload.get('rows', 0)} file(s): read {payload.get('read', 0)}, "
        f"refused {sum(refused.values())}{f' ({shown})' if shown else ''}, "
        f"failed {payload.get('failed', 0)}; this run screened {payload['screened']} "
        f"and skipped {payload['skipped']} already done in {payload['seconds']:.1f} s",
        file=sys.stderr,
    )
    if "results" in payload:
        print(f"results: {payload['results']}", file=sys.stderr)
    if payload.get("model_synthetic"):
        print("model trained on synthetic data: not for clinical use", file=sys.stderr)
    print("A screening aid, not a diagnosis.", file=sys.stderr)


def _stop(steps: Generator[tuple[Rows, int]], sink: _Sink, why: str) -> int:
    """Ends the engine and journals the rows already finished; the exit status to return."""
    print(f"mtecg batch: {why}", file=sys.stderr)
    steps.close()
    try:
        sink.flush()
    except Exception as error:
        print(f"mtecg batch: the last rows could not be saved: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_INTERRUPTED if why.startswith("interrupted") else EXIT_FAILED


def run_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mtecg.batch.engine import EngineOptions
    from mtecg.batch.importer import Importer, ImportRefused
    from mtecg.batch.inputs import InputError, collect
    from mtecg.batch.journal import OUTPUT_FORMATS, Journal, JournalMismatch, journal_folder
    from mtecg.model.package import ModelPackageError, load_package

    out: Path = args.out.absolute()
    if out.suffix.lower() not in OUTPUT_FORMATS:
        return _usage(f"--out must end in {' or '.join(OUTPUT_FORMATS)}")
    if args.workers < 1 or args.batch_size < 1 or args.chunk_size < 1:
        return _usage("--workers, --batch-size and --chunk-size must be at least 1")
    if args.import_to_log != (args.user is not None):
        return _usage("--import-to-log and --user go together")
    if args.address is not None and args.engine != "ray":
        return _usage("--address needs --engine ray")
    model_dir = (args.model or DEFAULT_MODEL).absolute()
    try:
        manifest = load_package(model_dir).manifest
    except ModelPackageError as error:
        print(f"mtecg batch: model: {error}", file=sys.stderr)
        return EXIT_FAILED
    profile = args.profile or manifest.input.profiles[0]
    if profile not in manifest.input.profiles:
        return _usage(f"this model needs one of the profiles {', '.join(manifest.input.profiles)}")
    maps_dir = None if args.maps is None else args.maps.absolute()
    try:
        outputs = [out, journal_folder(out), *([maps_dir] if maps_dir else [])]
        items = collect(args.inputs, manifest, excluded=outputs)
    except InputError as error:
        return _usage(str(error))
    fingerprint = {
        "model_sha256": manifest.weights.sha256 if manifest.weights else "",
        "profile": profile,
        "maps": None if maps_dir is None else str(maps_dir),
        "import_user": args.user,
    }
    try:
        journal = Journal(out, fingerprint)
    except JournalMismatch as error:
        return _usage(str(error))
    importer = None
    if args.import_to_log:
        try:
            importer = Importer(Settings(), args.user, manifest)
        except ImportRefused as error:
            print(f"mtecg batch: --import-to-log: {error}", file=sys.stderr)
            return EXIT_FAILED
        for pending in journal.pending():
            if importer.committed(journal.chunk_id(pending)):
                journal.commit(pending)
            else:
                importer.forget(journal.rows(pending))
                journal.discard(pending)
        maps_dir = maps_dir or journal.folder / "maps"
    runtime, runtime_cache_dir = runtime_choice(args.runtime)
    options = EngineOptions(
        model_dir=model_dir,
        profile=profile,
        device=args.device,
        runtime=runtime,
        runtime_cache_dir=runtime_cache_dir,
        workers=args.workers,
        batch_size=args.batch_size,
        maps_dir=maps_dir,
        address=args.address,
    )
    if args.engine == "ray":
        from mtecg.batch.ray_engine import run as run_engine
    else:
        from mtecg.batch.local import run as run_engine
    started = time.monotonic()
    progress = tqdm(total=len(items), unit="file", mininterval=1.0, disable=None)
    sink = _Sink(journal, importer, {item.path: item for item in items}, args.chunk_size, progress)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    payload: dict[str, Any] = {"status": "ok", "model_synthetic": manifest.synthetic}
    code = EXIT_OK
    steps = run_engine(items, options, frozenset(journal.done()))
    try:
        for rows, skipped in steps:
            sink.add(rows, skipped)
        sink.flush()
        table = journal.merge(out, [item.path for item in items])
        payload.update(_summary(table), results=str(out))
    except KeyboardInterrupt:
        code = _stop(steps, sink, "interrupted; run the same command again to resume")
        payload["status"] = "interrupted"
    except Exception as error:  # the tool's own failure: keep what is finished, say why
        code = _stop(steps, sink, f"{type(error).__name__}: {error}")
        payload["status"] = "failed"
    finally:
        signal.signal(signal.SIGTERM, previous)
        progress.close()
        if importer is not None:
            importer.close()
    seconds = time.monotonic() - started
    payload.update(screened=sink.screened, skipped=sink.skipped, seconds=round(seconds, 3))
    _print_summary(payload, args.json)
    return code
