"""Signal export: a digital waveform file in, its twelve exact signals out (CSV or WFDB).

Stateless: the upload is read in a sandbox worker like a screening's (admitted to the same
bounded queue), nothing is stored, and the export is audited. A printout gets 422 `no_signals`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Query, Request, Response

from mtecg.api.deps import Guarded, PrincipalDep, SandboxDep, ServiceDep, record_apart
from mtecg.api.errors import overloaded
from mtecg.api.upload_form import invalid, read_file_and_fields
from mtecg.errors import Rejection
from mtecg.ingest.limits import IngestLimits
from mtecg.ingest.sandbox import Sandbox
from mtecg.preprocess import exact_signals
from mtecg.signal_export import RECORD_NAME, signals_csv, wfdb_archive
from mtecg.synth.signals import Signals

router = APIRouter(prefix="/signals", tags=["signals"])
Format = Literal["csv", "wfdb"]
ACTION = "signals.export"


def _export(sandbox: Sandbox, data: bytes, limits: IngestLimits, fmt: Format) -> bytes:
    signals: Signals = sandbox.call(exact_signals, data, limits)
    return signals_csv(signals).encode("ascii") if fmt == "csv" else wfdb_archive(signals)


@router.post(
    "",
    dependencies=Guarded,
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, "application/zip": {}}},
        401: {"description": "not_authenticated"},
        413: {"description": "file_too_large"},
        415: {"description": "unsupported_type"},
        422: {"description": "no_signals, a rejected file, or validation_error"},
        503: {"description": "overloaded or not_ready"},
    },
)
async def export_signals(
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    sandbox: SandboxDep,
    fmt: Annotated[Format, Query(alias="format")] = "csv",
) -> Response:
    if not service.admission.try_enter():
        raise overloaded("Too many uploads in progress; try again shortly.")
    try:
        data, fields = await read_file_and_fields(request, service.limits.max_bytes)
        if fields:
            raise invalid(min(fields), "unknown field (only `file` is taken)")
        try:
            async with asyncio.timeout(service.settings.request_deadline_s):
                body = await anyio.to_thread.run_sync(
                    _export, sandbox, data, service.limits, fmt, abandon_on_cancel=True
                )
        except TimeoutError:
            raise overloaded("The export did not finish in time; try again.") from None
        except Rejection as rejection:
            outcome = f"rejected:{rejection.code.value}"
            await anyio.to_thread.run_sync(
                record_apart, service, request, ACTION, outcome, principal.username
            )
            raise
    finally:
        service.admission.leave()
    await anyio.to_thread.run_sync(
        record_apart, service, request, ACTION, "success", principal.username
    )
    if fmt == "csv":
        name, media = f"{RECORD_NAME}.csv", "text/csv; charset=utf-8"
    else:
        name, media = f"{RECORD_NAME}.zip", "application/zip"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
