"""Lead attributions of stored screenings: computed after the answer, kept beside the images.

The occlusion attribution costs 12 extra forward passes (about 0.5 s with the demo model and
2 s with resnet34d on a 2-core CPU), more than the screening itself, so it never runs on a
screening's own path: once the row is committed the route hands the screening to this worker and
answers. One thread computes one attribution at a time, and only while no screening is admitted,
so it takes what the screenings leave idle instead of delaying the next answers: under a steady
stream of uploads (an archive being screened) the attributions wait for a pause. One that
somebody asks for (`GET .../attribution`) goes first, and waits for a pause at most
`MAX_YIELD_S`.

The result is `attribution.json` in the screening's image folder, written atomically and
fsynced, rather than a database column: it is derived data (recomputable from the stored
canonical image with the same model), it lives and dies with the images (a delete removes the
folder, the start-up sweep removes orphans), and no migration is needed. No file means
pending; a screening whose job was lost (a restart) is queued again when someone asks for it.
The file also carries how alike the two Grad-CAM++ maps are (`maps.correlation`), measured on
the maps the answer was stored with, or recomputed with the same model after a restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from PIL import Image

from mtecg.imageio import write_json_atomically
from mtecg.memory import trim
from mtecg.model.attribution import (
    SIMILAR_MAPS_CORRELATION,
    attribute,
    map_correlation,
    maps_similar,
)
from mtecg.model.explain import HeatMap
from mtecg.model.manifest import ModelManifest
from mtecg.model.predictor import Clinical, Predictor

log = logging.getLogger(__name__)

FILE_NAME: Final = "attribution.json"
MAX_YIELD_S: Final = 10.0  # longest an asked-for attribution waits for screenings in progress
_POLL_S: Final = 0.05
MAX_QUEUED: Final = 256  # beyond this, jobs wait until someone asks for them
_MAP_SIDE: Final = 256  # maps are compared on at most about this many pixels a side


def model_identity(manifest: ModelManifest) -> dict[str, str]:
    return {
        "id": manifest.id,
        "version": manifest.version,
        "weights_sha256": manifest.weights.sha256 if manifest.weights else "",
    }


def small_map(heatmap: HeatMap) -> HeatMap:
    """A strided view of a map, at most about `_MAP_SIDE` px a side (Grad-CAM++ maps are
    upsampled from a feature map of a few dozen cells, so this keeps all their structure)."""
    step = max(1, max(heatmap.shape) // _MAP_SIDE)
    return np.ascontiguousarray(heatmap[::step, ::step])


def predictor_clinical(stored: Mapping[str, bool | float] | None) -> Clinical | None:
    """A stored screening's clinical fields (booleans as stored) as the predictor takes them."""
    return None if stored is None else {name: float(value) for name, value in stored.items()}


@dataclass(frozen=True)
class _Job:
    screening_id: uuid.UUID
    canonical: Path  # the stored canonical image; the attribution is written beside it
    clinical: Clinical | None
    maps: dict[str, HeatMap] | None  # small copies of the answer's maps; None: recompute


def read(canonical: Path) -> dict[str, Any] | None:
    """The attribution stored beside a screening's canonical image, or None while there is none."""
    try:
        data: dict[str, Any] = json.loads(
            (canonical.parent / FILE_NAME).read_text(encoding="utf-8")
        )
    except FileNotFoundError:
        return None
    return data


class AttributionWorker:
    """One background thread computing and storing lead attributions for one loaded model."""

    def __init__(self, predictor: Predictor, busy: Callable[[], bool]) -> None:
        self.predictor = predictor
        self.busy = busy
        self._pending: dict[uuid.UUID, _Job] = {}  # in the order they were queued
        self._asked: dict[uuid.UUID, float] = {}  # asked-for jobs: when they stop yielding
        self._queued: set[uuid.UUID] = set()  # pending or in hand
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="mtecg-attribution", daemon=True)
        self._thread.start()

    def schedule(
        self,
        screening_id: uuid.UUID,
        canonical: Path,
        clinical: Clinical | None,
        heatmaps: Mapping[str, HeatMap] | None = None,
        asked: bool = False,
    ) -> None:
        """Queues one screening unless it is queued already or the queue is full (then a
        later request queues it again); never blocks. `asked`: somebody is waiting for it."""
        maps = None if heatmaps is None else {t: small_map(m) for t, m in heatmaps.items()}
        with self._changed:
            if asked and screening_id in self._pending:
                self._asked.setdefault(screening_id, time.monotonic() + MAX_YIELD_S)
            if screening_id in self._queued:
                return
            if len(self._pending) >= MAX_QUEUED:
                log.warning(
                    "attribution queue full; screening %s waits for a request", screening_id
                )
                return
            self._pending[screening_id] = _Job(screening_id, canonical, clinical, maps)
            self._queued.add(screening_id)
            if asked:
                self._asked[screening_id] = time.monotonic() + MAX_YIELD_S
            self._changed.notify()

    def is_queued(self, screening_id: uuid.UUID) -> bool:
        with self._changed:
            return screening_id in self._queued

    def close(self) -> None:
        """Stops after the job in hand; queued ones are picked up again on request."""
        with self._changed:
            self._closed = True
            self._pending.clear()
            self._asked.clear()
            self._queued.clear()
            self._changed.notify()
        self._thread.join()

    def _run(self) -> None:
        while (job := self._take()) is not None:
            try:
                self.compute(job)
            except Exception:  # one bad job must not stop the thread
                log.exception("lead attribution failed for screening %s", job.screening_id)
            finally:
                with self._changed:
                    self._queued.discard(job.screening_id)
                    idle = not self._pending
            if idle:
                trim()  # the attributions' activations go back to the system, off the answer path

    def _take(self) -> _Job | None:
        """The next job to compute, once it may run; None once closed."""
        while True:
            with self._changed:
                while not (self._pending or self._closed):
                    self._changed.wait()
                if self._closed:
                    return None
                chosen = self._choose(self.busy())
                if chosen is not None:
                    self._asked.pop(chosen, None)
                    return self._pending.pop(chosen)
            time.sleep(_POLL_S)

    def _choose(self, busy: bool) -> uuid.UUID | None:
        """While screenings are admitted, only an asked-for job that has yielded long enough;
        otherwise the asked-for jobs first, then the oldest."""
        asked = sorted(self._asked, key=self._asked.__getitem__)
        if busy:
            now = time.monotonic()
            return next((i for i in asked if self._asked[i] <= now), None)
        return asked[0] if asked else next(iter(self._pending))

    def _pause(self) -> None:
        """Between two chunks of an attribution: let screenings admitted meanwhile go first
        (at most `MAX_YIELD_S`, so that one asked for is not held back for long)."""
        deadline = time.monotonic() + MAX_YIELD_S
        while self.busy() and time.monotonic() < deadline:
            time.sleep(_POLL_S)

    def compute(self, job: _Job) -> None:
        """Attribution and map similarity of one stored screening, written to its folder."""
        if not job.canonical.is_file():
            return  # deleted meanwhile
        with Image.open(job.canonical) as opened:
            canonical = np.asarray(opened.convert("RGB"))
        started = time.perf_counter()
        attribution = attribute(self.predictor, canonical, job.clinical, self._pause)
        attribution_ms = (time.perf_counter() - started) * 1000
        maps = job.maps
        if maps is None:
            maps = {
                t: small_map(m) for t, m in self.predictor.explain(canonical, job.clinical).items()
            }
        correlation = map_correlation(maps["scar"], maps["lvef"])
        body = {
            "status": "ready",
            "model": model_identity(self.predictor.manifest),
            "blank": "paper white",
            "tasks": attribution.to_json(),
            "maps": {
                "correlation": round(correlation, 4),
                "similar": maps_similar(correlation),
                "similar_from": SIMILAR_MAPS_CORRELATION,
            },
            "compute_ms": round(attribution_ms, 1),
        }
        try:
            write_json_atomically(body, job.canonical.parent / FILE_NAME)
        except FileNotFoundError:
            return  # the screening was deleted while its attribution was computed
