"""The model's side of a screening: micro-batched predictions and Grad-CAM++ maps, off the loop.

One thread owns all model work. It takes every job waiting at the moment it becomes free (up to
`max_batch`) and runs them as one batch, which costs little more than one image on a CPU: one
forward pass gives the probabilities and, kept, both Grad-CAM++ maps of every image
(`Predictor.predict_explained`; networks that do not allow it are explained image by image).
The event loop only waits on futures, so health checks and other requests stay responsive
while the model works.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from mtecg.model.explain import HeatMap, to_canonical
from mtecg.model.manifest import ModelManifest
from mtecg.model.predictor import Clinical, Predictor, TaskResult
from mtecg.timing import Stopwatch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelOutput:
    manifest: ModelManifest  # of the model that answered
    results: dict[str, TaskResult]
    maps: dict[str, HeatMap]  # Grad-CAM++ per task at the model's input resolution (stored)
    canonical_shape: tuple[int, int]  # (height, width) of the image explained
    timings_ms: dict[str, float]

    @cached_property
    def heatmaps(self) -> dict[str, HeatMap]:
        """The maps stretched onto the canonical image (`to_canonical`), made when first read."""
        height, width = self.canonical_shape
        return {task: to_canonical(heat, width, height) for task, heat in self.maps.items()}


@dataclass
class _Job:
    canonical: np.ndarray
    clinical: Clinical | None
    future: Future[ModelOutput] = field(default_factory=Future)


class ModelWorker:
    def __init__(self, predictor: Predictor, max_batch: int) -> None:
        self.predictor = predictor
        self.max_batch = max_batch
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="mtecg-model", daemon=True)
        self._thread.start()

    def submit(self, canonical: np.ndarray, clinical: Clinical | None) -> Future[ModelOutput]:
        job = _Job(canonical, clinical)
        self._jobs.put(job)
        return job.future

    def close(self) -> None:
        """Finishes the jobs already queued, then stops the thread."""
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            # A job whose request gave up (deadline) is dropped before it costs anything.
            self._process([job for job in batch if job.future.set_running_or_notify_cancel()])
            if stop:
                return

    def _process(self, batch: list[_Job]) -> None:
        if not batch:
            return
        clock = Stopwatch()
        try:
            clinical = [j.clinical for j in batch] if self.predictor.needs_clinical else None
            answers = self.predictor.predict_explained(
                [j.canonical for j in batch],
                None if clinical is None else [c for c in clinical if c is not None],
                clock=clock,
            )
        except Exception as error:  # one bad batch must not stop the thread
            log.exception("prediction failed")
            for job in batch:
                job.future.set_exception(error)
            return
        timings = {"predict": clock.ms.get("predict", 0.0), "explain": clock.ms.get("explain", 0.0)}
        for job, (answer, maps) in zip(batch, answers, strict=True):
            height, width = job.canonical.shape[:2]
            job.future.set_result(
                ModelOutput(self.predictor.manifest, answer, maps, (height, width), timings)
            )
