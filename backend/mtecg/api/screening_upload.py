"""Screening one upload: receive it, queue it, parse it in the sandbox, run the model, store it.

An upload is refused at once (503 `overloaded`) when the bounded queue is full; its body is
read in one of a separate set of receiving places (so slow senders hold no model place), then
it takes its place in the queue, is parsed in a sandbox worker, run through the model worker,
and stored (screening_store.py). The caller answers only after that commit. A rejected file
writes no screening row, only its audit entry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import anyio
from fastapi import Request

from mtecg.api import storage
from mtecg.api.deps import Principal, record_apart
from mtecg.api.errors import overloaded, request_id
from mtecg.api.screening_store import store_screening
from mtecg.api.service import LoadedModel, Service
from mtecg.api.upload_form import UploadForm, read_upload_form
from mtecg.db.models import Screening
from mtecg.errors import Rejection
from mtecg.ingest.sandbox import Sandbox
from mtecg.preprocess import preprocess_in_sandbox

log = logging.getLogger(__name__)
BUSY = "Too many screenings in progress; try again shortly."


@dataclass(frozen=True)
class Screened:
    row: Screening
    form: UploadForm


async def screen_upload(
    request: Request,
    service: Service,
    model: LoadedModel,
    sandbox: Sandbox,
    principal: Principal,
) -> Screened:
    """The stored screening of this request's upload; its lead attribution is then queued."""
    admission = service.admission
    if not admission.try_receive():
        raise overloaded(BUSY)
    started = time.perf_counter()
    try:
        form = await read_upload_form(request, model.manifest, service.limits.max_bytes)
    finally:
        admission.received()
    if not admission.try_enter():
        raise overloaded(BUSY)
    try:
        try:
            async with asyncio.timeout(service.settings.request_deadline_s):
                pre = await anyio.to_thread.run_sync(
                    preprocess_in_sandbox,
                    sandbox,
                    form.data,
                    form.profile,
                    service.limits,
                    abandon_on_cancel=True,
                )
                output = await asyncio.wrap_future(
                    model.worker.submit(pre.layout.canonical, form.clinical)
                )
        except TimeoutError:
            raise overloaded("The screening did not finish in time; try again.") from None
        except Rejection as rejection:
            log.info("upload rejected: %s", rejection.code.value)
            outcome = f"rejected:{rejection.code.value}"
            await anyio.to_thread.run_sync(
                record_apart, service, request, "screening.create", outcome, principal.username
            )
            raise
        total_ms = (time.perf_counter() - started) * 1000
        row = await anyio.to_thread.run_sync(
            store_screening, service, principal, form, pre, output, request_id(request), total_ms
        )
    finally:
        admission.leave()
    canonical = storage.image_file(service.settings.data_dir, row.images, "canonical")
    if canonical is not None:
        model.attributions.schedule(row.id, canonical, form.clinical, output.heatmaps)
    return Screened(row, form)
