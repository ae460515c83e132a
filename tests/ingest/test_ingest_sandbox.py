"""The sandbox contains crashes, hangs and memory blow-ups, and the next call still works."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import sandbox_jobs as jobs

from mtecg.errors import RejectCode, Rejection
from mtecg.ingest import SandboxLimits, safe_pickle
from mtecg.ingest.sandbox import Sandbox, run_sandboxed

LIMITS = SandboxLimits(memory_bytes=3 * 2**29, cpu_seconds=30.0, timeout_s=2.0)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(LIMITS, workers=1) as box:
        yield box


def _rejected(box: Sandbox, fn: Callable[..., object], *args: object) -> tuple[Rejection, float]:
    start = time.perf_counter()
    with pytest.raises(Rejection) as caught:
        box.call(fn, *args)
    return caught.value, time.perf_counter() - start


def test_round_trip(sandbox: Sandbox) -> None:
    assert sandbox.call(jobs.echo, 1, "two", (3.0, None), {"k": [b"v"]}) == (
        1,
        "two",
        (3.0, None),
        {"k": [b"v"]},
    )
    image = sandbox.call(jobs.canonical_sized_array)
    assert image.shape == (2100, 1402, 3) and image.dtype == np.uint8
    assert np.array_equal(image, jobs.canonical_sized_array())
    assert sandbox.call(jobs.pid) != os.getpid()


def test_a_rejection_comes_back_as_is_and_keeps_the_worker(sandbox: Sandbox) -> None:
    before = sandbox.call(jobs.pid)
    rejection, _ = _rejected(sandbox, jobs.reject)
    assert (rejection.code, rejection.message) == (RejectCode.NOT_ECG, "a test refusal")
    assert sandbox.call(jobs.pid) == before


def test_an_exception_is_processing_failed_and_its_message_is_not_logged(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    before = sandbox.call(jobs.pid)
    with caplog.at_level(logging.DEBUG):
        rejection, _ = _rejected(sandbox, jobs.fail_with_secret)
    assert rejection.code is RejectCode.PROCESSING_FAILED
    assert "SOMCHAI" not in rejection.message and "SOMCHAI" not in caplog.text
    assert "ValueError" in caplog.text  # the type is logged, for operators
    assert sandbox.call(jobs.pid) != before  # replaced


def test_a_segfault_is_contained(sandbox: Sandbox) -> None:
    rejection, elapsed = _rejected(sandbox, jobs.segfault)
    assert rejection.code is RejectCode.PROCESSING_FAILED
    assert elapsed < 2.0
    assert sandbox.call(jobs.echo, "next") == ("next",)


def test_a_hang_hits_the_wall_clock_limit(sandbox: Sandbox) -> None:
    rejection, elapsed = _rejected(sandbox, jobs.sleep_forever)
    assert rejection.code is RejectCode.PROCESSING_TIMEOUT
    assert LIMITS.timeout_s <= elapsed < LIMITS.timeout_s + 1.5
    assert sandbox.call(jobs.echo, "next") == ("next",)


def test_a_memory_blow_up_is_contained(sandbox: Sandbox) -> None:
    rejection, elapsed = _rejected(sandbox, jobs.allocate, 4.0)  # cap: 1.5 GiB
    assert rejection.code is RejectCode.PROCESSING_FAILED
    assert "memory" in rejection.message
    assert elapsed < 2.0
    assert sandbox.call(jobs.allocate, 0.25) == 1  # the next job has its memory back


def test_a_cpu_burner_is_killed_at_its_cpu_limit() -> None:
    limits = SandboxLimits(cpu_seconds=1.0, timeout_s=20.0)
    with Sandbox(limits) as box:
        box.call(jobs.echo)  # started and warm: start-up CPU is not the job's
        rejection, elapsed = _rejected(box, jobs.spin_forever)
        assert rejection.code is RejectCode.PROCESSING_FAILED
        assert elapsed < 10.0  # SIGXCPU after 1-2 s of CPU, well before the 20 s wall clock
        assert box.call(jobs.echo, "next") == ("next",)
        # The limit is per job, not per worker: three 0.6 s jobs in one worker all pass.
        for _ in range(3):
            assert box.call(jobs.burn, 0.6) > 0


def test_a_result_that_is_not_data_is_refused(sandbox: Sandbox) -> None:
    rejection, _ = _rejected(sandbox, jobs.return_a_function)
    assert rejection.code is RejectCode.PROCESSING_FAILED
    assert sandbox.call(jobs.echo, "next") == ("next",)


def test_a_worker_killed_while_idle_is_replaced_silently(sandbox: Sandbox) -> None:
    victim = sandbox.call(jobs.pid)
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.1)
    assert sandbox.call(jobs.pid) != victim


def test_workers_ignore_ctrl_c(sandbox: Sandbox) -> None:
    worker = sandbox.call(jobs.pid)
    timer = threading.Timer(0.2, os.kill, (worker, signal.SIGINT))
    timer.start()
    assert sandbox.call(jobs.sleep_then_pid, 0.5) == worker
    timer.join()


def test_concurrent_callers_share_the_workers() -> None:
    with Sandbox(LIMITS, workers=2) as box, ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: box.call(jobs.sleep_then_pid, 0.1), range(2)))  # both warm
        start = time.perf_counter()
        futures = [pool.submit(box.call, jobs.sleep_then_pid, 0.3) for _ in range(6)]
        results = [future.result() for future in futures]
        elapsed = time.perf_counter() - start
    assert len(set(results)) == 2  # both workers, each reused
    assert 0.9 <= elapsed < 1.6  # 6 jobs x 0.3 s on 2 workers: three rounds, not six


def test_failures_under_concurrency_leave_a_working_pool() -> None:
    def outcome(box: Sandbox, fn: Callable[[], object]) -> object:
        try:
            return box.call(fn)
        except Rejection as rejection:
            return rejection.code

    crashers = (jobs.segfault, jobs.pid, jobs.fail_with_secret, jobs.pid, jobs.segfault)
    with Sandbox(LIMITS, workers=2) as box, ThreadPoolExecutor(5) as pool:
        outcomes = list(pool.map(lambda fn: outcome(box, fn), crashers))
        assert outcomes.count(RejectCode.PROCESSING_FAILED) == 3
        assert box.call(jobs.echo, "next") == ("next",)


def test_close_stops_the_workers_and_refuses_new_calls() -> None:
    box = Sandbox(LIMITS, workers=2)
    pids = {box.call(jobs.pid)}
    box.close()
    with pytest.raises(RuntimeError):
        box.call(jobs.echo)
    for worker in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(worker, 0)


def test_run_sandboxed_is_a_one_shot() -> None:
    assert run_sandboxed(jobs.echo, 42, limits=LIMITS) == (42,)
    with pytest.raises(Rejection) as caught:
        run_sandboxed(jobs.segfault, limits=LIMITS)
    assert caught.value.code is RejectCode.PROCESSING_FAILED


def test_workers_do_not_inherit_the_parents_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MTECG_DATABASE_URL", "postgresql://app:secret@db/mtecg")
    with Sandbox(LIMITS) as box:
        assert box.call(jobs.environment_variable, "MTECG_DATABASE_URL") is None
        assert box.call(jobs.environment_variable, "OMP_NUM_THREADS") == "1"


def test_workers_are_forked_from_a_single_threaded_template_without_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MTECG_DATABASE_URL", "postgresql://app:secret@db/mtecg")
    with Sandbox(LIMITS) as box:
        template = box.call(jobs.parent_pid)
        assert template != os.getpid()
        assert os.listdir(f"/proc/{template}/task") == [str(template)]  # one thread
        with open(f"/proc/{template}/environ", "rb") as environ:
            assert b"MTECG_DATABASE_URL" not in environ.read()


def test_a_dead_template_is_replaced_and_its_workers_keep_serving(sandbox: Sandbox) -> None:
    worker = sandbox.call(jobs.pid)
    template = sandbox.call(jobs.parent_pid)
    os.kill(template, signal.SIGKILL)
    time.sleep(0.1)
    assert sandbox.call(jobs.pid) == worker  # a running worker does not need its template
    os.kill(worker, signal.SIGKILL)
    time.sleep(0.1)
    assert sandbox.call(jobs.parent_pid) not in (template, 1)  # forked from a new template
    assert sandbox.call(jobs.pid) != worker


def test_workers_exit_when_their_parent_dies() -> None:
    script = (
        "import os, sys; sys.path[:0] = sys.argv[1:]\n"
        "import sandbox_jobs\n"
        "from mtecg.ingest.sandbox import Sandbox\n"
        "box = Sandbox()\n"
        "print(box.call(sandbox_jobs.pid), flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, *sys.path],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    worker = int(out.stdout.strip())
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("the worker outlived its parent")


# -- what the parent accepts from a worker -----------------------------------------------------


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


class _ForgedObjectArray:
    """Raw bytes read as object pointers: what a compromised worker would send."""

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        frombuffer = np.arange(2).__reduce_ex__(5)[0]  # NumPy's private reconstructor
        return (frombuffer, (b"A" * 16, np.dtype(object), (2,), "C"))


class _ForgedObjectScalar:
    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        scalar = np.float64(1).__reduce__()[0]  # NumPy's private reconstructor
        return (scalar, (np.dtype(object), b"A" * 8))


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(_Evil()),
        pickle.dumps(_ForgedObjectArray()),
        pickle.dumps(_ForgedObjectScalar()),
        pickle.dumps(subprocess.Popen),
        pickle.dumps(run_sandboxed),  # an mtecg function, not a class
    ],
    ids=["os.system", "forged-object-array", "forged-object-scalar", "foreign-class", "mtecg-fn"],
)
def test_safe_unpickling_refuses_code(payload: bytes) -> None:
    with pytest.raises(pickle.UnpicklingError):
        safe_pickle.loads(payload)


def test_safe_unpickling_accepts_data() -> None:
    value = {
        "a": np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2],  # non-contiguous
        "b": np.uint8(3),
        "c": [1, 2.5, "s", b"b", None, True, (1,), {1}, frozenset({2}), complex(1, 2)],
        "r": Rejection(RejectCode.CORRUPT_FILE, "m"),
        "o": np.array([None, 1], dtype=object),  # elements go through the same allow-list
    }
    back = safe_pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    assert np.array_equal(back["a"], value["a"]) and back["b"] == 3 and back["c"] == value["c"]
    assert back["r"].code is RejectCode.CORRUPT_FILE
    assert back["o"].tolist() == [None, 1]


def test_peak_memory_of_the_workers_is_reported() -> None:
    with Sandbox(workers=1) as sandbox:
        sandbox.call(jobs.echo, 1)
        peak = sandbox.peak_rss_bytes()
    # A worker with NumPy, Pillow, OpenCV and PyMuPDF loaded holds tens of MB, not bytes/GBs.
    assert 10 * 2**20 < peak < 1024 * 2**20
