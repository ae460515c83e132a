"""The `mtecg` command.

Exit status: 0 done, 3 input rejected (the reason is printed), 2 wrong usage, 1 any other
failure (unreadable input path, unwritable output). Machine-readable output with `--json` is one
JSON object on stdout, so scripts can rely on it whatever the outcome.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mtecg.errors import Rejection

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3


def _emit(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload, ensure_ascii=False))
        return
    for key, value in payload.items():
        if key != "panels":
            print(f"{key}: {value}")
    for panel in payload.get("panels", []):
        print(f"  {panel['lead']:>4}: {panel['box']}")


def write_png_atomically(image: np.ndarray, path: Path) -> None:
    """Writes a PNG so that `path` is either absent or complete, never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as handle:
            Image.fromarray(image).save(handle, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_upload(path: Path, max_bytes: int) -> bytes:
    """Reads at most one byte past the cap, so a huge file is refused without loading it."""
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


def _cmd_preprocess(args: argparse.Namespace) -> int:
    from mtecg.ingest import IngestLimits
    from mtecg.ingest.sandbox import Sandbox
    from mtecg.preprocess import preprocess_in_sandbox

    limits = IngestLimits()
    data = _read_upload(args.input, limits.max_bytes)
    try:
        with Sandbox(workers=1) as sandbox:
            result = preprocess_in_sandbox(sandbox, data, args.profile, limits)
    except Rejection as rejection:
        _emit(
            {"status": "rejected", "code": rejection.code.value, "message": rejection.message},
            args.json,
        )
        return EXIT_REJECTED
    write_png_atomically(result.layout.canonical, args.out)
    _emit({"status": "ok", **result.summary(), "canonical": str(args.out)}, args.json)
    return EXIT_OK


def _cmd_synth(args: argparse.Namespace) -> int:
    from mtecg.synth.dataset import write_dataset

    labels = write_dataset(args.n, args.seed, args.out, layout=args.layout, fmt=args.format)
    _emit({"status": "ok", "records": args.n, "labels": str(labels)}, args.json)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from mtecg.layout import PROFILE_NAMES
    from mtecg.synth.dataset import LAYOUT_NAMES

    parser = argparse.ArgumentParser(
        prog="mtecg",
        description="Screening aid for myocardial scar and LVEF < 50 % from 12-lead ECG printouts.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    pre = sub.add_parser(
        "preprocess",
        help="turn an ECG printout (PDF/PNG/JPEG) into the model's canonical image",
        description="Finds the 12 leads on a printout and writes the canonical 6 x 2 image, "
        "or explains why the file cannot be read (exit status 3).",
    )
    pre.add_argument("input", type=Path, help="PDF, PNG or JPEG file")
    pre.add_argument("--out", type=Path, required=True, help="where to write the canonical PNG")
    pre.add_argument("--profile", choices=PROFILE_NAMES, default="auto", help="layout profile")
    pre.add_argument("--json", action="store_true", help="print one JSON object")
    pre.set_defaults(handler=_cmd_preprocess)

    syn = sub.add_parser(
        "synth",
        help="write labelled synthetic ECG printouts (test and demo-training data)",
        description="Writes N synthetic printouts and DIR/labels.csv; deterministic for a seed.",
    )
    syn.add_argument("--n", type=int, required=True, help="number of records")
    syn.add_argument("--seed", type=int, default=0, help="random seed")
    syn.add_argument("--out", type=Path, required=True, help="output folder")
    syn.add_argument("--layout", choices=(*LAYOUT_NAMES, "mixed"), default="mixed")
    syn.add_argument("--format", choices=("pdf", "png"), default="pdf")
    syn.add_argument("--json", action="store_true", help="print one JSON object")
    syn.set_defaults(handler=_cmd_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except OSError as error:
        print(
            f"mtecg: {error.strerror or error}: {getattr(error, 'filename', '')}", file=sys.stderr
        )
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
