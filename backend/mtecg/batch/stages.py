"""The work on each file, shared by both engines so that they give the same rows.

`prepare` reads one file, hashes it and turns it into the canonical image in a sandbox worker
(untrusted bytes are parsed nowhere else); `score` runs one model batch over prepared files
and, when asked, writes their Grad-CAM++ maps. Timings are the work done on that file (a
batch's forward pass is shared out evenly), not time spent queueing, so they mean the same on
one machine and on a cluster.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from mtecg.api.layout_record import layout_columns
from mtecg.batch.inputs import Item
from mtecg.batch.schema import READ_ERROR, STATUS_FAILED, STATUS_OK, STATUS_REFUSED, empty_row
from mtecg.errors import Rejection
from mtecg.ingest import IngestLimits
from mtecg.ingest.sandbox import Sandbox
from mtecg.model.manifest import ModelManifest
from mtecg.model.predictor import Predictor
from mtecg.preprocess import preprocess_in_sandbox

_HASH_CHUNK: Final = 1 << 20

Done = frozenset[tuple[str, str]]
"""(path, sha256) pairs already in the results: skipped when met again."""


@dataclass
class Prepared:
    """A file after the CPU stage: its row so far and, when readable, its canonical image."""

    row: dict[str, Any]
    canonical: np.ndarray | None
    clinical: dict[str, float] | None


def read_file(path: str, max_bytes: int) -> tuple[bytes, str]:
    """The first `max_bytes + 1` bytes (enough for ingest to refuse a larger file without the
    rest) and the sha256 of the whole file, read once."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
        digest.update(data)
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return data, digest.hexdigest()


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


def prepare(
    item: Item, sandbox: Sandbox, profile: str, limits: IngestLimits, done: Done
) -> Prepared | None:
    """Read, hash and preprocess one file; None when (path, sha256) is already done."""
    row = empty_row(item.path)
    started = time.perf_counter()
    try:
        data, sha256 = read_file(item.path, limits.max_bytes)
    except OSError as error:
        row.update(status=STATUS_FAILED, code=READ_ERROR, reason=error.strerror or str(error))
        return Prepared(row, None, item.clinical)
    if (item.path, sha256) in done:
        return None
    row.update(sha256=sha256, read_ms=_ms(started))
    try:
        pre = preprocess_in_sandbox(sandbox, data, profile, limits)
    except Rejection as rejection:
        row.update(status=STATUS_REFUSED, code=rejection.code.value, reason=rejection.message)
        return Prepared(row, None, item.clinical)
    ingest_ms = pre.timings_ms.get("open", 0.0)
    row.update(
        **layout_columns(pre),
        ingest_ms=round(ingest_ms, 3),
        layout_ms=round(sum(pre.timings_ms.values()) - ingest_ms, 3),
    )
    return Prepared(row, pre.layout.canonical, item.clinical)


def map_folder(maps_dir: Path, sha256: str, clinical: dict[str, float] | None) -> Path:
    """Maps are filed by content (and clinical record, which changes them): duplicates share."""
    key = sha256
    if clinical is not None:
        record = json.dumps(clinical, sort_keys=True).encode()
        key += "-" + hashlib.sha256(record).hexdigest()[:12]
    return maps_dir / sha256[:2] / key


def model_facts(manifest: ModelManifest) -> dict[str, Any]:
    return {
        "model_id": manifest.id,
        "model_version": manifest.version,
        "model_sha256": manifest.weights.sha256 if manifest.weights else "",
        "model_synthetic": manifest.synthetic,
    }


def score(
    predictor: Predictor, batch: Sequence[Prepared], maps_dir: Path | None
) -> list[dict[str, Any]]:
    """Finished rows for a batch: one forward pass over its readable files, then their maps."""
    from mtecg.model.overlay import write_explanation_images

    readable = [p for p in batch if p.canonical is not None]
    if readable:
        started = time.perf_counter()
        clinical = [p.clinical or {} for p in readable] if predictor.needs_clinical else None
        answers = predictor.predict_batch([p.canonical for p in readable], clinical)  # type: ignore[misc]
        share = round((time.perf_counter() - started) * 1000 / len(readable), 3)
        facts = model_facts(predictor.manifest)
        for prepared, answer in zip(readable, answers, strict=True):
            row = prepared.row
            row.update(status=STATUS_OK, predict_ms=share, **facts)
            for task, result in answer.items():
                row[f"{task}_probability"] = result.probability
                row[f"{task}_prediction"] = bool(result.prediction)
                row[f"{task}_threshold"] = predictor.manifest.tasks[task].threshold
                row[f"{task}_band"] = result.risk_band
            if maps_dir is not None:
                assert prepared.canonical is not None
                started = time.perf_counter()
                heatmaps = predictor.explain(prepared.canonical, prepared.clinical)
                folder = map_folder(maps_dir, row["sha256"], prepared.clinical)
                paths = write_explanation_images(folder, prepared.canonical, heatmaps)
                row["explain_ms"] = _ms(started)
                row.update({f"{name}_png": str(path) for name, path in paths.items()})
    rows = []
    for prepared in batch:
        row = prepared.row
        timed = [row[k] for k in ("read_ms", "ingest_ms", "layout_ms", "predict_ms", "explain_ms")]
        row["total_ms"] = round(sum(t for t in timed if t is not None), 3)
        rows.append(row)
    return rows
