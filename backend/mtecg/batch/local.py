"""The one-machine engine: N sandbox workers feed one model that batches.

The main thread keeps a bounded window of files in flight in a thread pool whose threads
each wait on one sandbox worker (the parsing itself happens in those worker processes), and
runs the model whenever a batch of readable files is ready, so the workers keep parsing
while the model computes. Memory stays bounded by the window (a canonical image is 8.8 MB).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from mtecg.batch.engine import EngineOptions, Progress
from mtecg.batch.inputs import Item
from mtecg.batch.stages import Done, Prepared, prepare, score
from mtecg.ingest.sandbox import Sandbox
from mtecg.model.predictor import load_predictor


def run(items: Sequence[Item], options: EngineOptions, done: Done) -> Progress:
    predictor = load_predictor(
        options.model_dir, options.device, options.runtime, options.runtime_cache_dir
    )
    sandbox = Sandbox(workers=options.workers)
    pool = ThreadPoolExecutor(options.workers, thread_name_prefix="mtecg-batch")
    window = 2 * options.workers + options.batch_size
    queue = iter(items)
    pending: set[Future[Prepared | None]] = set()
    ready: list[Prepared] = []

    def fill() -> None:
        while len(pending) < window and (item := next(queue, None)) is not None:
            args = (item, sandbox, options.profile, options.limits, done)
            pending.add(pool.submit(prepare, *args))

    try:
        fill()
        while pending or ready:
            skipped, unreadable = 0, []
            if pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    pending.discard(future)
                    prepared = future.result()
                    if prepared is None:
                        skipped += 1
                    elif prepared.canonical is None:
                        unreadable.append(prepared)
                    else:
                        ready.append(prepared)
                fill()
            rows = score(predictor, unreadable, None) if unreadable else []
            if len(ready) >= options.batch_size or (ready and not pending):
                batch, ready = ready[: options.batch_size], ready[options.batch_size :]
                rows += score(predictor, batch, options.maps_dir)
            if rows or skipped:
                yield rows, skipped
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        sandbox.close()  # a job still running in a worker ends now (its thread gets an error)
