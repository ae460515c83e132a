"""`mtecg preprocess`, `mtecg synth` and `mtecg predict`: one printout through the pipeline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtecg.cli.output import (
    DEVICE_OPTION,
    EXIT_OK,
    JSON_OPTION,
    MODEL_OPTION,
    RUNTIME_OPTION,
    CommandFailed,
    UsageError,
    emit,
    emit_rejection,
    runtime_choice,
)
from mtecg.errors import Rejection
from mtecg.imageio import write_png_atomically
from mtecg.settings import DEFAULT_MODEL

if TYPE_CHECKING:
    import numpy as np

    from mtecg.model.manifest import ModelManifest
    from mtecg.model.predictor import Predictor, TaskResult
    from mtecg.preprocess import Preprocessed


def register(sub: Any) -> None:
    """Adds `preprocess`, `synth` and `predict` to the `mtecg` parser."""
    from mtecg.layout import PROFILE_NAMES
    from mtecg.synth.dataset import LAYOUT_NAMES
    from mtecg.synth.paper import PAPER_NAMES

    pre = sub.add_parser(
        "preprocess",
        parents=[JSON_OPTION],
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
    pre.set_defaults(handler=_cmd_preprocess)

    syn = sub.add_parser(
        "synth",
        parents=[JSON_OPTION],
        help="write labelled synthetic ECG printouts (test and demo-training data)",
        description="Writes N synthetic printouts and DIR/labels.csv; deterministic for a seed.",
    )
    syn.add_argument("--n", type=int, required=True, help="number of records")
    syn.add_argument("--seed", type=int, default=0, help="random seed")
    syn.add_argument("--out", type=Path, required=True, help="output folder")
    syn.add_argument("--layout", choices=(*LAYOUT_NAMES, "mixed"), default="mixed")
    syn.add_argument("--format", choices=("pdf", "png"), default="pdf")
    syn.add_argument(
        "--paper",
        choices=PAPER_NAMES,
        help="reprint every page on this paper style (tinted paper, dotted, major-only, no or "
        "dark grid); default: each layout's own grid",
    )
    syn.add_argument(
        "--photo",
        action="store_true",
        help="write JPEG phone photos of the printouts instead (tilt <= 30 deg, rotation, curl, "
        "creases, shadow, moire, blur; 3 x 4 layouts); labels.csv gives the true boxes in page "
        "and photo px",
    )
    syn.set_defaults(handler=_cmd_synth)

    pred = sub.add_parser(
        "predict",
        parents=[MODEL_OPTION, DEVICE_OPTION, RUNTIME_OPTION, JSON_OPTION],
        help="screen one ECG printout: scar and LVEF < 50 %% probabilities",
        description="Reads the printout in a sandbox, then runs the model package on its "
        "canonical image. Exit status 3 when the file is not a readable 12-lead ECG.",
    )
    pred.add_argument("input", type=Path, help="PDF, PNG or JPEG file")
    pred.add_argument(
        "--clinical",
        default=None,
        help="clinical inputs as a JSON object (or a file holding one), for clinical models",
    )
    pred.add_argument(
        "--profile", choices=PROFILE_NAMES, default=None, help="layout profile (default: model's)"
    )
    pred.add_argument(
        "--explain",
        type=Path,
        metavar="OUTDIR",
        help="also write Grad-CAM++ overlays (scar.png, lvef.png) and canonical.png here",
    )
    pred.set_defaults(handler=_cmd_predict)


def _read_upload(path: Path, max_bytes: int) -> bytes:
    """Reads at most one byte past the cap, so a huge file is refused without loading it.

    A WFDB ``.hea`` path is packed with its signal files into the ZIP the API takes.
    """
    if path.suffix.lower() == ".hea":
        from mtecg.ingest.wfdb_record import pack_record

        return pack_record(path, max_bytes)
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


def _preprocess(path: Path, profile: str, vector_traces: bool = False) -> Preprocessed:
    """The file read and laid out in a sandbox worker, under the service's limits."""
    from mtecg.ingest import IngestLimits
    from mtecg.ingest.sandbox import Sandbox
    from mtecg.preprocess import preprocess_in_sandbox

    limits = IngestLimits()
    data = _read_upload(path, limits.max_bytes)
    with Sandbox(workers=1) as sandbox:
        return preprocess_in_sandbox(sandbox, data, profile, limits, vector_traces)


def _cmd_preprocess(args: argparse.Namespace) -> int:
    try:
        result = _preprocess(args.input, args.profile, args.signals is not None)
    except Rejection as rejection:
        return emit_rejection(rejection, args.json)
    write_png_atomically(result.layout.canonical, args.out)
    payload: dict[str, Any] = {"status": "ok", **result.summary(), "canonical": str(args.out)}
    if args.signals is not None:
        payload["signals"] = _write_signals(result.signals, args.signals)
    emit(payload, args.json)
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

    labels = write_dataset(
        args.n,
        args.seed,
        args.out,
        layout=args.layout,
        fmt=args.format,
        paper=args.paper,
        photo=args.photo,
    )
    emit({"status": "ok", "records": args.n, "labels": str(labels)}, args.json)
    return EXIT_OK


def _read_clinical(text: str | None) -> dict[str, Any] | None:
    """`--clinical` is a JSON object of named clinical inputs, or a path to a file holding one."""
    if text is None:
        return None
    try:
        if not text.lstrip().startswith("{"):
            text = Path(text).read_text(encoding="utf-8")
        value = json.loads(text)
    except (ValueError, OSError) as error:
        raise UsageError(f"--clinical: {error}") from error
    if not isinstance(value, dict):
        raise UsageError(
            '--clinical: --clinical must be a JSON object, e.g. {"female": 1, "age": 63}'
        )
    return value


def _model_folder(folder: Path | None) -> Path:
    """`--model`, else the demo package where it is installed."""
    if folder is not None:
        return folder
    if not DEFAULT_MODEL.is_dir():
        raise UsageError(f"no model: give --model (no demo package at {DEFAULT_MODEL})")
    return DEFAULT_MODEL


def _open_model(model_dir: Path, device: str, runtime: str | None) -> Predictor:
    """The package on its runtime; one that does not load fails the command (exit 1), not its
    usage."""
    from mtecg.model.package import ModelPackageError
    from mtecg.model.predictor import load_predictor

    chosen, cache_dir = runtime_choice(runtime)
    try:
        return load_predictor(model_dir, device, chosen, cache_dir)
    except ModelPackageError as error:
        raise CommandFailed(f"model: {error}") from error


def _profile_for(manifest: ModelManifest, profile: str | None) -> str:
    """`--profile`, else the model's first: only a profile that makes the model's image."""
    chosen = profile or manifest.input.profiles[0]
    if chosen not in manifest.input.profiles:
        raise UsageError(
            f"profile {chosen} does not make the {manifest.input.geometry} image this "
            f"model needs; use one of {', '.join(manifest.input.profiles)}"
        )
    return chosen


def _cmd_predict(args: argparse.Namespace) -> int:
    model_dir = _model_folder(args.model)
    clinical = _read_clinical(args.clinical)
    predictor = _open_model(model_dir, args.device, args.runtime)
    manifest = predictor.manifest
    if manifest.clinical_inputs is not None and clinical is None:
        raise UsageError("this model needs --clinical")
    profile = _profile_for(manifest, args.profile)
    try:
        result = _preprocess(args.input, profile)
    except Rejection as rejection:
        return emit_rejection(rejection, args.json)
    canonical = result.layout.canonical
    try:
        (answer,) = predictor.predict_batch([canonical], None if clinical is None else [clinical])
    except ValueError as error:  # clinical inputs missing or out of range
        raise UsageError(f"--clinical: {error}") from error
    payload = _prediction_payload(answer, manifest, result)
    if args.explain is not None:
        payload["explanations"] = _write_explanations(predictor, canonical, clinical, args.explain)
    if args.json:
        emit(payload, as_json=True)
    else:
        _print_prediction(answer, manifest, result)
    return EXIT_OK


def _print_prediction(
    answer: dict[str, TaskResult], manifest: ModelManifest, result: Preprocessed
) -> None:
    """`predict` for a person: one line per task, the model, the layout."""
    for task, r in answer.items():
        print(f"{task}: {r.probability:.1%} ({r.risk_band}), prediction {r.prediction}")
    print(f"model: {manifest.id} {manifest.version}" + (" (synthetic)" * manifest.synthetic))
    print(f"layout: {result.layout.profile}, page {result.page}")


def _prediction_payload(
    answer: dict[str, TaskResult], manifest: ModelManifest, result: Preprocessed
) -> dict[str, Any]:
    """`predict --json`: the published answer per task, its risk band, the model, the layout."""
    from mtecg.model.classifier import published_answer

    return {
        "status": "ok",
        **{task: published_answer(task_result) for task, task_result in answer.items()},
        "risk": {
            task: {"band": r.risk_band, "reference_marker": r.reference_marker}
            for task, r in answer.items()
        },
        "model": {"id": manifest.id, "version": manifest.version, "synthetic": manifest.synthetic},
        "layout": result.summary(),
    }


def _write_explanations(
    predictor: Predictor, canonical: np.ndarray, clinical: dict[str, Any] | None, out: Path
) -> dict[str, str]:
    """Writes the canonical image and one Grad-CAM++ overlay per task; returns their paths."""
    from mtecg.model.overlay import write_explanation_images

    paths = write_explanation_images(out, canonical, predictor.explain(canonical, clinical))
    return {name: str(path) for name, path in paths.items()}
