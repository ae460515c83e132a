"""The model's side of a screening: micro-batched predictions and Grad-CAM++ maps, off the loop.

One thread owns all model work. It takes every job waiting at the moment it becomes free (up to
`max_batch`) and runs their predictions as one batch, which costs little more than one image
on a CPU; the explanations then run image by image, because Grad-CAM++ hooks the shared
network and the predictor serialises them anyway. The event loop only waits on futures, so
health checks and other requests stay responsive while the model works.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from mtecg.model.explain import HeatMap
from mtecg.model.manifest import ModelManifest
from mtecg.model.predictor import Clinical, Predictor, TaskResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelOutput:
    manifest: ModelManifest  # of the model that answered
    results: dict[str, TaskResult]
    heatmaps: dict[str, HeatMap]
    timings_ms: dict[str, float]


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
        try:
            started = time.perf_counter()
            clinical = [j.clinical for j in batch] if self.predictor.needs_clinical else None
            answers = self.predictor.predict_batch(
                [j.canonical for j in batch],
                None if clinical is None else [c for c in clinical if c is not None],
            )
            predict_ms = (time.perf_counter() - started) * 1000
        except Exception as error:  # one bad batch must not stop the thread
            log.exception("prediction failed")
            for job in batch:
                job.future.set_exception(error)
            return
        for job, answer in zip(batch, answers, strict=True):
            try:
                started = time.perf_counter()
                heatmaps = self.predictor.explain(job.canonical, job.clinical)
                explain_ms = (time.perf_counter() - started) * 1000
                job.future.set_result(
                    ModelOutput(
                        self.predictor.manifest,
                        answer,
                        heatmaps,
                        {"predict": round(predict_ms, 3), "explain": round(explain_ms, 3)},
                    )
                )
            except Exception as error:
                log.exception("explanation failed")
                job.future.set_exception(error)
