"""`mtecg train`, `mtecg evaluate` and `mtecg import-checkpoint`: making and measuring models."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtecg.cli.output import DEVICE_OPTION, EXIT_OK, JSON_OPTION, emit, emit_failure

if TYPE_CHECKING:
    from mtecg.training.manifest import Example


def register(sub: Any) -> None:
    """Adds `train`, `evaluate` and `import-checkpoint` to the `mtecg` parser."""
    from mtecg.model.manifest import GEOMETRIES

    both = [DEVICE_OPTION, JSON_OPTION]
    trn = sub.add_parser(
        "train",
        parents=both,
        help="train a model package from a manifest of labelled printouts",
        description="Preprocesses (and caches) the manifest's printouts, trains the multi-task "
        "network and writes a model package with its validation/test metrics.",
    )
    trn.add_argument("--manifest", type=Path, required=True, help="CSV: file, scar, lvef, ...")
    trn.add_argument("--config", type=Path, required=True, help="JSON training config")
    trn.add_argument("--out", type=Path, required=True, help="model package folder to write")
    trn.add_argument("--force", action="store_true", help="replace an existing package")
    trn.set_defaults(handler=_cmd_train)

    evl = sub.add_parser(
        "evaluate",
        parents=both,
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
    evl.set_defaults(handler=_cmd_evaluate)

    imp = sub.add_parser(
        "import-checkpoint",
        parents=[JSON_OPTION],
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
    imp.set_defaults(handler=_cmd_import_checkpoint)


def _cmd_train(args: argparse.Namespace) -> int:
    from mtecg.training.config import load_config
    from mtecg.training.manifest import TrainingManifestError
    from mtecg.training.train import train

    try:
        config = load_config(args.config)
        summary = train(args.manifest, config, args.out, args.device, overwrite=args.force)
    except (ValueError, TrainingManifestError, FileExistsError) as error:
        return emit_failure(str(error), args.json)
    if args.json:
        emit({"status": "ok", **summary}, as_json=True)
    else:
        _print_training(summary)
    return EXIT_OK


def _print_training(summary: dict[str, Any]) -> None:
    """`train` for a person: the package and each split's AUC per task, with its 95 % CI."""
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


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from mtecg.model.package import ModelPackageError, load_package
    from mtecg.model.predictor import Predictor
    from mtecg.training.evaluate import report, score
    from mtecg.training.manifest import TrainingManifestError, clinical_records, read_manifest

    try:
        package = load_package(args.model)
        examples = read_manifest(args.manifest)
    except (ModelPackageError, TrainingManifestError) as error:
        return emit_failure(str(error), args.json)
    manifest = package.manifest
    kept = _readable(examples, args.manifest.parent / ".mtecg-cache", manifest.input.profiles[0])
    predictor = Predictor(package, device=args.device)
    clinical = None
    if predictor.needs_clinical:
        clinical = clinical_records([e for e, _ in kept])
        if clinical is None:
            return emit_failure("this model needs clinical columns", args.json)
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
    emit({"status": "ok", "model": manifest.id, "refused": refused, **result}, args.json)
    return EXIT_OK


def _readable(examples: list[Example], cache: Path, profile: str) -> list[tuple[Example, Path]]:
    """The examples whose printout preprocesses (cached), each with its cached canonical image."""
    from mtecg.training.cache import cache_canonical

    cached = cache_canonical([e.path for e in examples], cache, profile)
    return [(e, c.image) for e, c in zip(examples, cached, strict=True) if c.image is not None]


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
        return emit_failure(str(error), args.json)
    emit({"status": "ok", "package": str(out)}, args.json)
    return EXIT_OK
