"""The Ray engine: the same stages as a Ray Data pipeline, on a local instance or a cluster.

The inputs become a dataset of items; `_Preparer` actors (one CPU each, `workers` of them)
read, hash and preprocess files in their own sandbox worker, started once per actor; a
`_Scorer` actor pool (`map_batches` with a callable class, so the model is loaded once per
actor; one GPU each when the cluster has GPUs) scores batches; the rows come back to the
driver, which journals them exactly as the local engine does. Every worker must see the input
paths (and the maps folder) at the same place: a shared file system on a cluster.

Rows cross the pipeline as JSON and the canonical image as raw bytes, so no stage depends on
Arrow's guess of a column's type from a block that happens to hold only nulls; the scorer
returns Arrow tables in the results schema.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from mtecg.batch.engine import EngineOptions, Progress, Rows
from mtecg.batch.inputs import Item
from mtecg.batch.schema import empty_row, to_table
from mtecg.batch.stages import Done, Prepared, prepare, score
from mtecg.ingest import IngestLimits
from mtecg.model.runtime import Runtime

SKIPPED: Final = "skipped"  # an input already done; dropped by the driver


class _Preparer:
    """A CPU actor with its own sandbox worker."""

    def __init__(self, profile: str, limits: IngestLimits, done: frozenset[tuple[str, str]]):
        from mtecg.ingest.sandbox import Sandbox

        self.sandbox = Sandbox(workers=1)
        self.profile, self.limits, self.done = profile, limits, done

    def __call__(self, record: dict[str, Any]) -> dict[str, Any]:
        clinical = json.loads(record["clinical"]) if record["clinical"] else None
        item = Item(record["path"], clinical=clinical)
        prepared = prepare(item, self.sandbox, self.profile, self.limits, self.done)
        if prepared is None:
            row, canonical = {**empty_row(item.path), "status": SKIPPED}, None
        else:
            row, canonical = prepared.row, prepared.canonical
        height, width = (0, 0) if canonical is None else canonical.shape[:2]
        return {
            "row": json.dumps(row),
            "clinical": record["clinical"],
            "canonical": b"" if canonical is None else canonical.tobytes(),
            "height": height,
            "width": width,
        }


class _Scorer:
    """An actor holding the model; `map_batches` hands it batches of prepared files."""

    def __init__(
        self,
        model_dir: Path,
        device: str,
        runtime: Runtime,
        runtime_cache_dir: Path | None,
        maps_dir: Path | None,
    ) -> None:
        from mtecg.model.predictor import load_predictor

        self.predictor = load_predictor(model_dir, device, runtime, runtime_cache_dir)
        self.maps_dir = maps_dir

    def __call__(self, batch: dict[str, np.ndarray]) -> pa.Table:
        prepared, skipped = [], []
        for row_json, clinical, data, height, width in zip(
            batch["row"],
            batch["clinical"],
            batch["canonical"],
            batch["height"],
            batch["width"],
            strict=True,
        ):
            row = json.loads(row_json)
            if row["status"] == SKIPPED:
                skipped.append(row)
                continue
            image = None
            if len(data):
                image = np.frombuffer(data, np.uint8).reshape(int(height), int(width), 3).copy()
            prepared.append(Prepared(row, image, json.loads(clinical) if clinical else None))
        return to_table(score(self.predictor, prepared, self.maps_dir) + skipped)


def _start(address: str | None) -> None:
    """Joins the cluster at `address` (None: a new local instance) unless already joined."""
    import ray

    if not ray.is_initialized():
        # A local instance listens on loopback only; a cluster's address says where it is.
        local: dict[str, Any] = {"_node_ip_address": "127.0.0.1"} if address is None else {}
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
            **local,
        )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the command draws its own
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def run(items: Sequence[Item], options: EngineOptions, done: Done) -> Progress:
    import ray

    _start(options.address)
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    scorers = max(1, gpus)
    if options.workers + scorers > resources.get("CPU", 0):
        raise ValueError(
            f"--workers {options.workers} and {scorers} scorer(s) need "
            f"{options.workers + scorers} CPUs; the Ray cluster has {resources.get('CPU', 0):g}"
        )
    records = [
        {"path": i.path, "clinical": json.dumps(i.clinical) if i.clinical else ""} for i in items
    ]
    dataset = (
        ray.data.from_items(records)
        .map(
            _Preparer,  # type: ignore[arg-type]  # a callable class: Ray makes actors of it
            fn_constructor_kwargs={
                "profile": options.profile,
                "limits": options.limits,
                "done": done,
            },
            compute=ray.data.ActorPoolStrategy(size=options.workers),
            num_cpus=1,
        )
        .map_batches(
            _Scorer,
            fn_constructor_kwargs={
                "model_dir": options.model_dir,
                "device": options.device,
                "runtime": options.runtime,
                "runtime_cache_dir": options.runtime_cache_dir,
                "maps_dir": options.maps_dir,
            },
            batch_size=options.batch_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=scorers),
            num_gpus=1 if gpus else 0,
            num_cpus=1,
        )
    )
    for batch in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
        rows: Rows = batch.to_pylist()  # type: ignore[union-attr]  # pyarrow, as asked
        kept = [row for row in rows if row["status"] != SKIPPED]
        yield kept, len(rows) - len(kept)
