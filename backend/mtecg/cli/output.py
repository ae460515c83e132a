"""What every `mtecg` command shares: exit statuses, the `--json`/`--device` options, output.

Exit status: 0 done, 3 input rejected (the reason is printed), 2 wrong usage, 1 any other
failure (unreadable input path, unwritable output). Machine-readable output with `--json` is one
JSON object on stdout, so scripts can rely on it whatever the outcome.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Final, cast

from mtecg.errors import Rejection
from mtecg.model.runtime import RUNTIMES, Runtime
from mtecg.settings import DEFAULT_MODEL, Settings

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_REJECTED: Final = 3


class UsageError(Exception):
    """Arguments that parse but cannot be used together (exit 2, the message on stderr)."""


class CommandFailed(Exception):
    """A failure that is said on stderr only (exit 1), before any result exists."""


def _option_parent(*names: str, **options: Any) -> argparse.ArgumentParser:
    """One option as an argparse parent, so each subcommand adds it without repeating it."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(*names, **options)
    return parent


#: `--json`: one JSON object on stdout instead of lines for a person.
JSON_OPTION: Final = _option_parent("--json", action="store_true", help="print one JSON object")
#: `--device`: where the network runs.
DEVICE_OPTION: Final = _option_parent(
    "--device", default="auto", help="auto (CUDA if present), cpu, cuda, ..."
)
#: `--model`: the package that screens (`predict`, `batch`); the demo package when omitted.
MODEL_OPTION: Final = _option_parent(
    "--model", type=Path, default=None, help=f"model package folder (default {DEFAULT_MODEL})"
)


#: `--runtime`: what runs the network on a CPU; the service's choice when omitted.
RUNTIME_OPTION: Final = _option_parent(
    "--runtime",
    choices=RUNTIMES,
    default=None,
    help="torch (PyTorch FP32, the reference), onnx (the backbone on ONNX Runtime) or onnx-int8; "
    "default MTECG_RUNTIME, else onnx, as `mtecg serve`. The exported graph is kept in "
    "MTECG_RUNTIME_CACHE_DIR (default var/runtime)",
)


def runtime_choice(runtime: str | None) -> tuple[Runtime, Path]:
    """`--runtime` (else the service's, `MTECG_RUNTIME`) and the graph cache folder."""
    settings = Settings()
    chosen: Runtime = settings.runtime if runtime is None else cast(Runtime, runtime)
    return chosen, settings.runtime_cache_dir


def emit(payload: dict[str, Any], as_json: bool) -> None:
    """Prints the result: one JSON object, or `key: value` lines (and the panels) for a person."""
    if as_json:
        print(json.dumps(payload, ensure_ascii=False))
        return
    for key, value in payload.items():
        if key != "panels":
            print(f"{key}: {value}")
    for panel in payload.get("panels", []):
        print(f"  {panel['lead']:>4}: {panel['box']}")


def emit_failure(message: str, as_json: bool) -> int:
    """Reports a failed command in its output format; returns its exit status."""
    emit({"status": "failed", "message": message}, as_json)
    return EXIT_FAILED


def emit_rejection(rejection: Rejection, as_json: bool) -> int:
    """Reports why an input was refused (its stable code and reason); returns exit status 3."""
    emit(
        {
            "status": "rejected",
            "code": rejection.code.value,
            "reason": rejection.reason,
            "message": rejection.message,
        },
        as_json,
    )
    return EXIT_REJECTED
