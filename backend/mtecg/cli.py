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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mtecg.errors import Rejection
from mtecg.imageio import write_png_atomically
from mtecg.settings import DEFAULT_MODEL, Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from mtecg.model.predictor import Predictor

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
#: Commands that create the service's files (database, data folder, keys, checkpoints).
SERVICE_COMMANDS = frozenset({"serve", "db", "users", "api-keys", "audit"})
SERVICE_UMASK = 0o077


def _emit(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload, ensure_ascii=False))
        return
    for key, value in payload.items():
        if key != "panels":
            print(f"{key}: {value}")
    for panel in payload.get("panels", []):
        print(f"  {panel['lead']:>4}: {panel['box']}")


def _read_upload(path: Path, max_bytes: int) -> bytes:
    """Reads at most one byte past the cap, so a huge file is refused without loading it.

    A WFDB ``.hea`` path is packed with its signal files into the ZIP the API takes.
    """
    if path.suffix.lower() == ".hea":
        from mtecg.ingest.wfdb_record import pack_record

        return pack_record(path, max_bytes)
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


def _cmd_preprocess(args: argparse.Namespace) -> int:
    from mtecg.ingest import IngestLimits
    from mtecg.ingest.sandbox import Sandbox
    from mtecg.preprocess import preprocess_in_sandbox

    limits = IngestLimits()
    try:
        data = _read_upload(args.input, limits.max_bytes)
        with Sandbox(workers=1) as sandbox:
            result = preprocess_in_sandbox(
                sandbox, data, args.profile, limits, args.signals is not None
            )
    except Rejection as rejection:
        _emit(
            {
                "status": "rejected",
                "code": rejection.code.value,
                "reason": rejection.reason,
                "message": rejection.message,
            },
            args.json,
        )
        return EXIT_REJECTED
    write_png_atomically(result.layout.canonical, args.out)
    payload: dict[str, Any] = {"status": "ok", **result.summary(), "canonical": str(args.out)}
    if args.signals is not None:
        payload["signals"] = _write_signals(result.signals, args.signals)
    _emit(payload, args.json)
    return EXIT_OK


def _write_signals(signals: Any, folder: Path) -> list[str] | None:
    """`--signals`: the exact signals as CSV + WFDB, or None (a picture has none)."""
    if signals is None:
        print(
            "mtecg: --signals: this input is a picture (no waveform, no vector traces)",
            file=sys.stderr,
        )
        return None
    from mtecg.signal_export import write_signals

    return [str(path) for path in write_signals(signals, folder)]


def _cmd_synth(args: argparse.Namespace) -> int:
    from mtecg.synth.dataset import write_dataset

    labels = write_dataset(args.n, args.seed, args.out, layout=args.layout, fmt=args.format)
    _emit({"status": "ok", "records": args.n, "labels": str(labels)}, args.json)
    return EXIT_OK


def _read_clinical(text: str | None) -> dict[str, Any] | None:
    """`--clinical` is a JSON object of named clinical inputs, or a path to a file holding one."""
    if text is None:
        return None
    if not text.lstrip().startswith("{"):
        text = Path(text).read_text(encoding="utf-8")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError('--clinical must be a JSON object, e.g. {"female": 1, "age": 63}')
    return value


def _cmd_predict(args: argparse.Namespace) -> int:
    from mtecg.ingest import IngestLimits
    from mtecg.ingest.sandbox import Sandbox
    from mtecg.model.classifier import published_answer
    from mtecg.model.package import ModelPackageError, load_package
    from mtecg.model.predictor import Predictor
    from mtecg.preprocess import preprocess_in_sandbox

    model_dir = args.model or (DEFAULT_MODEL if DEFAULT_MODEL.is_dir() else None)
    if model_dir is None:
        print(
            f"mtecg: no model: give --model (no demo package at {DEFAULT_MODEL})", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        clinical = _read_clinical(args.clinical)
    except (ValueError, OSError) as error:
        print(f"mtecg: --clinical: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        package = load_package(model_dir)
    except ModelPackageError as error:
        print(f"mtecg: model: {error}", file=sys.stderr)
        return EXIT_FAILED
    manifest = package.manifest
    if manifest.clinical_inputs is not None and clinical is None:
        print("mtecg: this model needs --clinical", file=sys.stderr)
        return EXIT_USAGE
    profile = args.profile or manifest.input.profiles[0]
    if profile not in manifest.input.profiles:
        print(
            f"mtecg: profile {profile} does not make the {manifest.input.geometry} image this "
            f"model needs; use one of {', '.join(manifest.input.profiles)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    predictor = Predictor(package, device=args.device)

    limits = IngestLimits()
    try:
        data = _read_upload(args.input, limits.max_bytes)
        with Sandbox(workers=1) as sandbox:
            result = preprocess_in_sandbox(sandbox, data, profile, limits)
    except Rejection as rejection:
        _emit(
            {
                "status": "rejected",
                "code": rejection.code.value,
                "reason": rejection.reason,
                "message": rejection.message,
            },
            args.json,
        )
        return EXIT_REJECTED
    try:
        (answer,) = predictor.predict_batch(
            [result.layout.canonical], None if clinical is None else [clinical]
        )
    except ValueError as error:  # clinical inputs missing or out of range
        print(f"mtecg: --clinical: {error}", file=sys.stderr)
        return EXIT_USAGE
    payload: dict[str, Any] = {
        "status": "ok",
        **{task: published_answer(task_result) for task, task_result in answer.items()},
        "risk": {
            task: {"band": r.risk_band, "reference_marker": r.reference_marker}
            for task, r in answer.items()
        },
        "model": {"id": manifest.id, "version": manifest.version, "synthetic": manifest.synthetic},
        "layout": result.summary(),
    }
    if args.explain is not None:
        payload["explanations"] = _write_explanations(
            predictor, result.layout.canonical, clinical, args.explain
        )
    if args.json:
        _emit(payload, as_json=True)
    else:
        for task, r in answer.items():
            print(f"{task}: {r.probability:.1%} ({r.risk_band}), prediction {r.prediction}")
        print(f"model: {manifest.id} {manifest.version}" + (" (synthetic)" * manifest.synthetic))
        print(f"layout: {result.layout.profile}, page {result.page}")
    return EXIT_OK


def _write_explanations(
    predictor: Predictor, canonical: np.ndarray, clinical: dict[str, Any] | None, out: Path
) -> dict[str, str]:
    """Writes the canonical image and one Grad-CAM++ overlay per task; returns their paths."""
    from mtecg.model.overlay import write_explanation_images

    paths = write_explanation_images(out, canonical, predictor.explain(canonical, clinical))
    return {name: str(path) for name, path in paths.items()}


def _cmd_train(args: argparse.Namespace) -> int:
    from mtecg.training.config import load_config
    from mtecg.training.manifest import TrainingManifestError
    from mtecg.training.train import train

    try:
        config = load_config(args.config)
        summary = train(args.manifest, config, args.out, args.device, overwrite=args.force)
    except (ValueError, TrainingManifestError, FileExistsError) as error:
        _emit({"status": "failed", "message": str(error)}, args.json)
        return EXIT_FAILED
    if args.json:
        _emit({"status": "ok", **summary}, as_json=True)
    else:
        print(f"package: {summary['package']}")
        for split, entry in summary["reports"].items():
            for task, figures in entry["tasks"].items():
                auc = figures["auc"]
                shown = (
                    "n/a (one class only)"
                    if auc["value"] is None
                    else f"{auc['value']:.3f} ({auc['low']:.3f}-{auc['high']:.3f})"
                )
                print(f"{split} {task}: AUC {shown}")
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from mtecg.model.package import ModelPackageError, load_package
    from mtecg.model.predictor import Predictor
    from mtecg.training.cache import cache_canonical
    from mtecg.training.evaluate import report, score
    from mtecg.training.manifest import TrainingManifestError, read_manifest

    try:
        package = load_package(args.model)
        examples = read_manifest(args.manifest)
    except (ModelPackageError, TrainingManifestError) as error:
        _emit({"status": "failed", "message": str(error)}, args.json)
        return EXIT_FAILED
    manifest = package.manifest
    cached = cache_canonical(
        [e.path for e in examples],
        args.manifest.parent / ".mtecg-cache",
        manifest.input.profiles[0],
    )
    kept = [(e, c.image) for e, c in zip(examples, cached, strict=True) if c.image is not None]
    predictor = Predictor(package, device=args.device)
    clinical = None
    if predictor.needs_clinical:
        from mtecg.training.manifest import CLINICAL_COLUMNS

        if any(e.clinical is None for e, _ in kept):
            _emit({"status": "failed", "message": "this model needs clinical columns"}, args.json)
            return EXIT_FAILED
        clinical = [dict(zip(CLINICAL_COLUMNS, e.clinical or (), strict=True)) for e, _ in kept]
    scored = score(
        predictor,
        [p for _, p in kept],
        {"scar": [e.scar for e, _ in kept], "lvef": [e.low_ef for e, _ in kept]},
        clinical,
    )
    thresholds = {task: spec.threshold for task, spec in manifest.tasks.items()}
    roc = args.roc or args.manifest.parent / "roc.png"
    data = f"{args.data or args.manifest} ({len(kept)} printouts)"
    calibration = args.calibration or args.manifest.parent / "calibration.png"
    result = report(scored, thresholds, data, args.prevalence, roc, calibration_path=calibration)
    if args.record:
        from mtecg.model.package import write_package
        from mtecg.training.evaluate import report_metrics

        kept_metrics = tuple(m for m in manifest.metrics if m.data != data)
        updated = manifest.replace(metrics=kept_metrics + report_metrics(result))
        write_package(args.model, package.network, updated, overwrite=True)
    refused = len(examples) - len(kept)
    _emit({"status": "ok", "model": manifest.id, "refused": refused, **result}, args.json)
    return EXIT_OK


def _cmd_import_checkpoint(args: argparse.Namespace) -> int:
    from mtecg.model.legacy_import import import_checkpoint
    from mtecg.model.package import ModelPackageError

    try:
        out = import_checkpoint(
            args.source,
            args.out,
            model_id=args.id,
            version=args.version,
            geometry=args.geometry,
            overwrite=args.force,
        )
    except (ModelPackageError, FileExistsError) as error:
        _emit({"status": "failed", "message": str(error)}, args.json)
        return EXIT_FAILED
    _emit({"status": "ok", "package": str(out)}, args.json)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from mtecg.api.server import serve

    settings = Settings()
    serve(settings, args.host or settings.host, args.port or settings.port)
    return EXIT_OK


def _cmd_db(args: argparse.Namespace) -> int:
    from mtecg.db import migrate
    from mtecg.db.engine import make_engine

    if args.action == "rekey-patient-refs":
        return _rekey(args)
    engine = make_engine(Settings().database_url)
    try:
        if args.action == "upgrade":
            migrate.upgrade(engine)
        elif args.action == "downgrade":
            migrate.downgrade(engine)
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    _emit({"status": "ok", "revision": current, "head": migrate.head_revision()}, args.json)
    return EXIT_OK


class NotMigratedError(RuntimeError):
    """The database's schema is not the one this code needs."""


def _migrated_engine() -> Engine:
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


def _rekey(args: argparse.Namespace) -> int:
    """Key rotation: every stored HN from the previous key (a file) to MTECG_SECRET_KEY."""
    from mtecg.db import audit
    from mtecg.db.rekey import rekey_patient_refs
    from mtecg.security.patient_ref import PatientRefKeyError

    if args.previous_key_file is None:
        _emit({"status": "failed", "message": "give --previous-key-file"}, args.json)
        return EXIT_FAILED
    old_key = args.previous_key_file.read_bytes().strip()

    def work(session: Session) -> dict[str, Any]:
        done = rekey_patient_refs(session, old_key, Settings().resolve_secret_key())
        audit.record(session, "patient_ref.rekey", "success", actor="cli")
        return {"rekeyed": done.rows, "hash_only": done.hash_only}

    try:
        return _in_transaction(work, args.json)
    except PatientRefKeyError as error:
        _emit({"status": "failed", "message": str(error)}, args.json)
        return EXIT_FAILED


def _in_transaction(work: Callable[[Session], dict[str, Any]], as_json: bool) -> int:
    """Runs one account change and its audit row in one transaction; reports the outcome."""
    from mtecg.db.accounts import AccountError
    from mtecg.db.engine import session_factory
    from mtecg.security.passwords import WeakPasswordError

    engine = _migrated_engine()
    try:
        with session_factory(engine).begin() as session:
            payload = work(session)
    except (AccountError, WeakPasswordError) as error:
        _emit({"status": "failed", "message": str(error)}, as_json)
        return EXIT_FAILED
    finally:
        engine.dispose()
    _emit({"status": "ok", **payload}, as_json)
    return EXIT_OK


def _cmd_users(args: argparse.Namespace) -> int:
    import getpass
    import secrets

    from mtecg.db import accounts, audit

    def new_password(payload: dict[str, Any]) -> str:
        """--password, or a generated one (printed to this terminal only), or a prompt."""
        if args.password is not None:
            return str(args.password)
        if args.generate_password:
            password = payload["password"] = secrets.token_urlsafe(18)
            return password
        return getpass.getpass(f"password for {args.username}: ")

    def create(session: Session) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        password = new_password(payload)
        user = accounts.create_user(
            session,
            args.username,
            password,
            role=args.role,
            organisation=args.organisation or Settings().default_organisation,
            display_name=args.display_name or "",
            one_time=args.generate_password,
        )
        audit.record(session, "user.create", "success", actor="cli", object_id=str(user.id))
        return {
            "user": args.username,
            "role": user.role,
            "organisation": user.organisation,
            **payload,
        }

    def list_users(session: Session) -> dict[str, Any]:
        return {
            "users": [
                {
                    "username": u.username,
                    "role": u.role,
                    "organisation": u.organisation,
                    "disabled": u.disabled,
                }
                for u in accounts.list_users(session)
            ]
        }

    def disable(session: Session) -> dict[str, Any]:
        user = accounts.disable_user(session, args.username)
        audit.record(session, "user.disable", "success", actor="cli", object_id=str(user.id))
        return {"user": args.username, "disabled": True}

    def set_password(session: Session) -> dict[str, Any]:
        # Set by someone other than the user: it must be replaced at the next sign-in.
        payload: dict[str, Any] = {}
        user = accounts.set_password(session, args.username, new_password(payload), one_time=True)
        audit.record(session, "user.password_reset", "success", actor="cli", object_id=str(user.id))
        return {"user": args.username, "must_change_password": True, **payload}

    actions = {
        "create": create,
        "list": list_users,
        "disable": disable,
        "set-password": set_password,
    }
    return _in_transaction(actions[args.action], args.json)


def _cmd_api_keys(args: argparse.Namespace) -> int:
    from mtecg.db import accounts, audit

    def create(session: Session) -> dict[str, Any]:
        issued = accounts.create_api_key(session, args.user, args.label or "")
        audit.record(session, "api_key.create", "success", actor="cli", object_id=issued.key.prefix)
        return {"key": issued.token, "prefix": issued.key.prefix, "user": args.user}

    def revoke(session: Session) -> dict[str, Any]:
        key = accounts.revoke_api_key(session, args.prefix)
        audit.record(session, "api_key.revoke", "success", actor="cli", object_id=key.prefix)
        return {"prefix": key.prefix, "revoked": True}

    def list_keys(session: Session) -> dict[str, Any]:
        return {
            "keys": [
                {
                    "prefix": key.prefix,
                    "user": username,
                    "label": key.label,
                    "revoked": key.revoked,
                    "created_at": key.created_at.isoformat(timespec="seconds"),
                }
                for key, username in accounts.list_api_keys(session, args.user)
            ]
        }

    actions = {"create": create, "revoke": revoke, "list": list_keys}
    return _in_transaction(actions[args.action], args.json)


def _cmd_audit(args: argparse.Namespace) -> int:
    from mtecg.db import audit
    from mtecg.db.engine import session_factory
    from mtecg.security import audit_checkpoints

    settings = Settings()
    engine = _migrated_engine()
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
        _emit({"status": "ok", "message": "audit chain intact", **summary}, args.json)
        return EXIT_OK
    first = report.findings[0]
    _emit(
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


def build_parser() -> argparse.ArgumentParser:
    from mtecg.layout import PROFILE_NAMES
    from mtecg.model.manifest import GEOMETRIES
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
    pre.add_argument(
        "input",
        type=Path,
        help="PDF, PNG or JPEG printout; DICOM, EDF, MUSE/aECG XML file; WFDB .hea or .zip",
    )
    pre.add_argument("--out", type=Path, required=True, help="where to write the canonical PNG")
    pre.add_argument("--profile", choices=PROFILE_NAMES, default="auto", help="layout profile")
    pre.add_argument(
        "--signals",
        type=Path,
        metavar="OUT",
        help="also write the exact signals (waveform files, vector PDFs) to OUT/signals.csv and "
        "a WFDB record",
    )
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

    pred = sub.add_parser(
        "predict",
        help="screen one ECG printout: scar and LVEF < 50 %% probabilities",
        description="Reads the printout in a sandbox, then runs the model package on its "
        "canonical image. Exit status 3 when the file is not a readable 12-lead ECG.",
    )
    pred.add_argument("input", type=Path, help="PDF, PNG or JPEG file")
    pred.add_argument(
        "--model", type=Path, default=None, help=f"model package folder (default {DEFAULT_MODEL})"
    )
    pred.add_argument(
        "--clinical",
        default=None,
        help="clinical inputs as a JSON object (or a file holding one), for clinical models",
    )
    pred.add_argument(
        "--profile", choices=PROFILE_NAMES, default=None, help="layout profile (default: model's)"
    )
    pred.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, ...")
    pred.add_argument(
        "--explain",
        type=Path,
        metavar="OUTDIR",
        help="also write Grad-CAM++ overlays (scar.png, lvef.png) and canonical.png here",
    )
    pred.add_argument("--json", action="store_true", help="print one JSON object")
    pred.set_defaults(handler=_cmd_predict)

    trn = sub.add_parser(
        "train",
        help="train a model package from a manifest of labelled printouts",
        description="Preprocesses (and caches) the manifest's printouts, trains the multi-task "
        "network and writes a model package with its validation/test metrics.",
    )
    trn.add_argument("--manifest", type=Path, required=True, help="CSV: file, scar, lvef, ...")
    trn.add_argument("--config", type=Path, required=True, help="JSON training config")
    trn.add_argument("--out", type=Path, required=True, help="model package folder to write")
    trn.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, ...")
    trn.add_argument("--force", action="store_true", help="replace an existing package")
    trn.add_argument("--json", action="store_true", help="print one JSON object")
    trn.set_defaults(handler=_cmd_train)

    evl = sub.add_parser(
        "evaluate",
        help="AUC (95 %% bootstrap CI), sensitivity, specificity, F1 and ROC of a model",
        description="Evaluates a model package on a labelled manifest (docs/domain.md §6).",
    )
    evl.add_argument("--manifest", type=Path, required=True, help="CSV: file, scar, lvef, ...")
    evl.add_argument("--model", type=Path, required=True, help="model package folder")
    evl.add_argument("--prevalence", type=float, help="also resample to this prevalence")
    evl.add_argument("--roc", type=Path, help="ROC plot PNG (default: roc.png by the manifest)")
    evl.add_argument(
        "--calibration",
        type=Path,
        help="reliability diagram PNG (default: calibration.png by the manifest)",
    )
    evl.add_argument("--data", help="how to describe the data in the report and model card")
    evl.add_argument(
        "--record", action="store_true", help="add these metrics to the package's model.json"
    )
    evl.add_argument("--device", default="auto", help="auto (CUDA if present), cpu, cuda, ...")
    evl.add_argument("--json", action="store_true", help="print one JSON object")
    evl.set_defaults(handler=_cmd_evaluate)

    imp = sub.add_parser(
        "import-checkpoint",
        help="convert a published model folder (configs.json, model.ckpt) into a model package",
        description="Reads the published checkpoint with restricted unpickling (tensors only) "
        "and writes a verified safetensors model package.",
    )
    imp.add_argument("source", type=Path, help="published model folder")
    imp.add_argument("--out", type=Path, required=True, help="model package folder to write")
    imp.add_argument("--id", default=None, help="model id (default: folder and backbone)")
    imp.add_argument("--version", default="published", help="model version")
    imp.add_argument(
        "--geometry",
        choices=tuple(GEOMETRIES),
        default="canonical-6x2",
        help="canonical image the checkpoint was trained on",
    )
    imp.add_argument("--force", action="store_true", help="replace an existing package")
    imp.add_argument("--json", action="store_true", help="print one JSON object")
    imp.set_defaults(handler=_cmd_import_checkpoint)

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
    dbp.add_argument("action", choices=("upgrade", "downgrade", "current", "rekey-patient-refs"))
    dbp.add_argument(
        "--previous-key-file", type=Path, help="file holding the previous secret key (rekey)"
    )
    dbp.add_argument("--json", action="store_true", help="print one JSON object")
    dbp.set_defaults(handler=_cmd_db)

    usr = sub.add_parser(
        "users",
        help="create, list or disable user accounts, or set a user's password",
        description="set-password sets a one-time password: the user must choose a new one at "
        "the next sign-in. Generated passwords are printed to this terminal only.",
    )
    usr.add_argument("action", choices=("create", "list", "disable", "set-password"))
    usr.add_argument("username", nargs="?", help="the user (create, disable, set-password)")
    usr.add_argument(
        "--role",
        choices=("clinician", "admin", "sysadmin"),
        default="clinician",
        help="admin: one organisation; sysadmin: every organisation",
    )
    usr.add_argument("--organisation", default=None, help="default MTECG_DEFAULT_ORGANISATION")
    usr.add_argument("--display-name", default=None)
    usr.add_argument("--password", default=None, help="the password (default: prompt)")
    usr.add_argument(
        "--generate-password", action="store_true", help="make a random password and print it"
    )
    usr.add_argument("--json", action="store_true", help="print one JSON object")
    usr.set_defaults(handler=_cmd_users)

    key = sub.add_parser("api-keys", help="create (printed once), list or revoke API keys")
    key.add_argument("action", choices=("create", "list", "revoke"))
    key.add_argument("--user", help="owner of the new key (create); only theirs (list)")
    key.add_argument("--label", default=None, help="what the key is for (create)")
    key.add_argument("--prefix", help="the key's public prefix (revoke)")
    key.add_argument("--json", action="store_true", help="print one JSON object")
    key.set_defaults(handler=_cmd_api_keys)

    aud = sub.add_parser(
        "audit",
        help="verify the audit trail's keyed chain and its checkpoints "
        "(MTECG_AUDIT_CHECKPOINT_FILE): edits, deletions, truncation",
    )
    aud.add_argument("action", choices=("verify",))
    aud.add_argument("--json", action="store_true", help="print one JSON object")
    aud.set_defaults(handler=_cmd_audit)

    from mtecg.batch.command import register as register_batch

    register_batch(sub)
    return parser


def _missing_arguments(args: argparse.Namespace) -> str | None:
    """Arguments that only some actions need (argparse cannot say so per choice)."""
    needs: dict[tuple[str, str | None], str] = {
        ("users", "create"): "username",
        ("users", "disable"): "username",
        ("users", "set-password"): "username",
        ("api-keys", "create"): "user",
        ("api-keys", "revoke"): "prefix",
    }
    needed = needs.get((args.command, getattr(args, "action", None)))
    if needed and not getattr(args, needed):
        return f"{args.command} {args.action} needs {needed}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    missing = _missing_arguments(args)
    if missing:
        parser.error(missing)
    handler: Callable[[argparse.Namespace], int] = args.handler
    if args.command in SERVICE_COMMANDS:
        # The database, its WAL, images, keys and logs: owner only (0600 files, 0700 folders).
        os.umask(SERVICE_UMASK)
    try:
        return handler(args)
    except NotMigratedError as error:
        print(f"mtecg: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(
            f"mtecg: {error.strerror or error}: {getattr(error, 'filename', '')}", file=sys.stderr
        )
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
