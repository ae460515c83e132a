"""When the attribution worker computes: never while screenings are admitted, unless somebody
asked for the attribution and it has yielded `MAX_YIELD_S`; asked-for jobs before the others.

The worker's own thread and queue run for real; only `compute` (the 13 forward passes) is
replaced by a recorder, since what is tested is which job runs when.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from mtecg.api import attributions
from mtecg.api.attributions import AttributionWorker
from mtecg.model.predictor import Predictor


class Recorder:
    def __init__(self) -> None:
        self.done: list[uuid.UUID] = []
        self.event = threading.Event()

    def record(self, job: Any) -> None:
        self.done.append(job.screening_id)
        self.event.set()

    def wait(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.done) < count and time.monotonic() < deadline:
            self.event.wait(0.05)
            self.event.clear()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(AttributionWorker, "compute", lambda _self, job: recorder.record(job))
    monkeypatch.setattr(attributions, "MAX_YIELD_S", 0.5)
    return recorder


@pytest.fixture
def busy() -> threading.Event:
    """Set: a screening is admitted (the uploads go on)."""
    event = threading.Event()
    event.set()
    return event


@pytest.fixture
def worker(busy: threading.Event) -> Iterator[AttributionWorker]:
    started = AttributionWorker(cast(Predictor, object()), busy=busy.is_set)
    yield started
    started.close()


def test_a_screenings_own_attribution_waits_for_a_pause_in_the_uploads(
    recorder: Recorder, worker: AttributionWorker, busy: threading.Event, tmp_path: Path
) -> None:
    job = uuid.uuid4()
    worker.schedule(job, tmp_path / "canonical.png", None)
    time.sleep(1.5)  # three times MAX_YIELD_S: a background job does not stop yielding
    assert recorder.done == []
    assert worker.is_queued(job)
    busy.clear()
    recorder.wait(1)
    assert recorder.done == [job]
    assert not worker.is_queued(job)


def test_an_asked_for_attribution_runs_after_yielding_at_most_max_yield(
    recorder: Recorder, worker: AttributionWorker, tmp_path: Path
) -> None:
    background, asked = uuid.uuid4(), uuid.uuid4()
    worker.schedule(background, tmp_path / "a.png", None)
    started = time.monotonic()
    worker.schedule(asked, tmp_path / "b.png", None, asked=True)
    recorder.wait(1)
    assert recorder.done == [asked]  # first, though queued second, and while busy
    assert time.monotonic() - started >= 0.5
    time.sleep(0.6)
    assert recorder.done == [asked]  # the other still waits for a pause


def test_asking_for_a_queued_attribution_moves_it_first(
    recorder: Recorder, worker: AttributionWorker, busy: threading.Event, tmp_path: Path
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    worker.schedule(first, tmp_path / "a.png", None)
    worker.schedule(second, tmp_path / "b.png", None)
    worker.schedule(second, tmp_path / "b.png", None, asked=True)  # a GET while queued
    busy.clear()
    recorder.wait(2)
    assert recorder.done == [second, first]
