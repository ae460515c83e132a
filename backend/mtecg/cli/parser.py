"""The `mtecg` parser and entry point: one module per command group registers its commands.

argparse (with parent parsers for the options every command shares) rather than Click or
Typer: no new dependency, the same `--help` texts, and `mtecg batch` registers itself the
same way.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from mtecg.cli import accounts, modelling, screening, service
from mtecg.cli.output import EXIT_FAILED, EXIT_USAGE, CommandFailed, UsageError

#: Commands that create the service's files (database, data folder, keys, checkpoints).
SERVICE_COMMANDS = frozenset({"serve", "db", "users", "api-keys", "audit"})
SERVICE_UMASK = 0o077


def build_parser() -> argparse.ArgumentParser:
    from mtecg.batch.command import register as register_batch

    parser = argparse.ArgumentParser(
        prog="mtecg",
        description="Screening aid for myocardial scar and LVEF < 50 % from 12-lead ECG printouts.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for register in (
        screening.register,
        modelling.register,
        service.register,
        accounts.register,
        service.register_audit,
        register_batch,
    ):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    if args.command in SERVICE_COMMANDS:
        # The database, its WAL, images, keys and logs: owner only (0600 files, 0700 folders).
        os.umask(SERVICE_UMASK)
    try:
        return handler(args)
    except UsageError as error:
        print(f"mtecg: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (CommandFailed, service.NotMigratedError) as error:
        print(f"mtecg: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(
            f"mtecg: {error.strerror or error}: {getattr(error, 'filename', '')}", file=sys.stderr
        )
        return EXIT_FAILED
