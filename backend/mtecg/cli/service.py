"""`mtecg serve`, `mtecg db` and `mtecg audit`: the service and its database."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtecg.cli.output import EXIT_FAILED, EXIT_OK, JSON_OPTION, emit, emit_failure
from mtecg.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

#: One change of the database and its audit row, run by `in_transaction`; returns its result.
Work = Callable[[argparse.Namespace, "Session"], dict[str, Any]]


class NotMigratedError(RuntimeError):
    """The database's schema is not the one this code needs."""


def register(sub: Any) -> None:
    """Adds `serve` and `db` to the `mtecg` parser."""
    srv = sub.add_parser(
        "serve",
        help="run the screening service (HTTP API); configured by MTECG_* variables",
        description="Serves the HTTP API of docs/API.md with one worker process.",
    )
    srv.add_argument("--host", default=None, help="address to listen on (default MTECG_HOST)")
    srv.add_argument("--port", type=int, default=None, help="port (default MTECG_PORT)")
    srv.set_defaults(handler=_cmd_serve)

    dbp = sub.add_parser(
        "db",
        help="database schema: upgrade, downgrade one step, show the revision; key rotation",
        description="Migrates the database at MTECG_DATABASE_URL. rekey-patient-refs moves "
        "every stored patient reference from the previous secret key (in a file) to "
        "MTECG_SECRET_KEY, in one transaction (docs/operations.md, key rotation).",
    )
    actions = dbp.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, help_text in (
        ("upgrade", "migrate to this version's schema"),
        ("downgrade", "go back one migration"),
        ("current", "show the database's revision and this version's"),
    ):
        step = actions.add_parser(action, parents=[JSON_OPTION], help=help_text)
        step.set_defaults(handler=_cmd_db)
    rekey = actions.add_parser(
        "rekey-patient-refs",
        parents=[JSON_OPTION],
        help="move every stored patient reference to MTECG_SECRET_KEY",
    )
    rekey.add_argument(
        "--previous-key-file", type=Path, help="file holding the previous secret key (rekey)"
    )
    rekey.set_defaults(handler=_cmd_rekey, work=_rekey)


def register_audit(sub: Any) -> None:
    """Adds `audit verify` to the `mtecg` parser (after `users` and `api-keys`, as `--help`
    has always listed them)."""
    aud = sub.add_parser(
        "audit",
        help="verify the audit trail's keyed chain and its checkpoints "
        "(MTECG_AUDIT_CHECKPOINT_FILE): edits, deletions, truncation",
    )
    aud_actions = aud.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = aud_actions.add_parser(
        "verify", parents=[JSON_OPTION], help="exit 0 when the chain is intact, 1 otherwise"
    )
    verify.set_defaults(handler=_cmd_audit_verify)


def _cmd_serve(args: argparse.Namespace) -> int:
    from mtecg.api.server import serve

    settings = Settings()
    serve(settings, args.host or settings.host, args.port or settings.port)
    return EXIT_OK


def _cmd_db(args: argparse.Namespace) -> int:
    from mtecg.db import migrate
    from mtecg.db.engine import make_engine

    engine = make_engine(Settings().database_url)
    try:
        if args.action == "upgrade":
            migrate.upgrade(engine)
        elif args.action == "downgrade":
            migrate.downgrade(engine)
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    emit({"status": "ok", "revision": current, "head": migrate.head_revision()}, args.json)
    return EXIT_OK


def migrated_engine() -> Engine:
    """The database engine, once its schema is known to be this code's (else a clear error)."""
    from mtecg.db import migrate
    from mtecg.db.engine import make_engine

    engine = make_engine(Settings().database_url)
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        engine.dispose()
        state = "is empty" if current is None else f"is at revision {current}"
        raise NotMigratedError(
            f"the database {state}, this version needs revision {head}: run `mtecg db upgrade`"
        )
    return engine


def in_transaction(args: argparse.Namespace) -> int:
    """Runs `args.work` (one change and its audit row) in one transaction; reports the outcome."""
    from mtecg.db.accounts import AccountError
    from mtecg.db.engine import session_factory
    from mtecg.security.passwords import WeakPasswordError
    from mtecg.security.patient_ref import PatientRefKeyError

    work: Work = args.work
    engine = migrated_engine()
    try:
        with session_factory(engine).begin() as session:
            payload = work(args, session)
    except (AccountError, WeakPasswordError, PatientRefKeyError) as error:
        return emit_failure(str(error), args.json)
    finally:
        engine.dispose()
    emit({"status": "ok", **payload}, args.json)
    return EXIT_OK


def _rekey(args: argparse.Namespace, session: Session) -> dict[str, Any]:
    """Key rotation: every stored HN from the previous key (a file) to MTECG_SECRET_KEY."""
    from mtecg.db import audit
    from mtecg.db.rekey import rekey_patient_refs

    old_key = args.previous_key_file.read_bytes().strip()
    done = rekey_patient_refs(session, old_key, Settings().resolve_secret_key())
    audit.record(session, "patient_ref.rekey", "success", actor="cli")
    return {"rekeyed": done.rows, "hash_only": done.hash_only}


def _cmd_rekey(args: argparse.Namespace) -> int:
    # As before the package split: a JSON failure (exit 1), not an argparse usage error (2).
    if args.previous_key_file is None:
        return emit_failure("give --previous-key-file", args.json)
    return in_transaction(args)


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    from mtecg.db import audit
    from mtecg.db.engine import session_factory
    from mtecg.security import audit_checkpoints

    settings = Settings()
    engine = migrated_engine()
    try:
        with session_factory(engine)() as session:
            report = audit.verify(session, audit_checkpoints.read(settings.audit_checkpoint_file))
    finally:
        engine.dispose()
    summary = {
        "rows": report.rows,
        "legacy_rows": report.legacy_rows,
        "checkpoints": report.checkpoints,
    }
    if not report.findings:
        emit({"status": "ok", "message": "audit chain intact", **summary}, args.json)
        return EXIT_OK
    first = report.findings[0]
    emit(
        {
            "status": "broken",
            "kind": first.kind,
            "row_id": first.row_id,
            "message": first.message,
            "findings": [vars(f) for f in report.findings],
            **summary,
        },
        args.json,
    )
    return EXIT_FAILED
