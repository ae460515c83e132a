"""Screenings: upload and screen a printout, list, read, export, view images, delete.

An upload is refused at once (503 `overloaded`) when the bounded queue is full; its body is
read in one of a separate set of receiving places (so slow senders hold no model place), then
it takes its place in the queue, is parsed in a sandbox worker, run through the model worker,
and stored: images first, then the row and its audit entry in one transaction; the 201 is sent
only after that commit. A rejected file writes no screening row.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from datetime import date
from typing import Annotated, Any, Final

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse

from mtecg.api import attributions, csv_export, storage
from mtecg.api.deps import AdminDep, DbDep, Guarded, Principal, PrincipalDep, ServiceDep, deny
from mtecg.api.deps import record as audit_row
from mtecg.api.errors import RETRY_AFTER_S, ApiError, overloaded, request_id
from mtecg.api.model_worker import ModelOutput
from mtecg.api.schemas import AttributionOut, ScreeningOut, ScreeningPage
from mtecg.api.service import Service
from mtecg.api.upload_form import MAX_PATIENT_REF, UploadForm, read_upload_form
from mtecg.api.view import clear_patient_ref, screening_out, screening_url
from mtecg.db import audit
from mtecg.db import screenings as repo
from mtecg.db.models import Screening, utcnow
from mtecg.errors import Rejection
from mtecg.preprocess import Preprocessed, preprocess_in_sandbox
from mtecg.security import patient_ref as hn
from mtecg.tasks import TASK_LABELS, Band, ImageName

log = logging.getLogger(__name__)
router = APIRouter(prefix="/screenings", tags=["screenings"])

#: Every accepted printout is read at 25 mm/s (the layout stage refuses other speeds).
PAPER_SPEED_MM_S: Final = 25.0
_BOOL_FIELD: Final = {"type": "string", "enum": ["true", "false", "1", "0"]}
UPLOAD_OPENAPI: Final = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "patient_ref": {"type": "string", "maxLength": MAX_PATIENT_REF},
                        "profile": {"type": "string"},
                        **{
                            name: _BOOL_FIELD
                            for name in (
                                "female",
                                "diabetes",
                                "hypertension",
                                "smoking",
                                "dyslipidaemia",
                            )
                        },
                        "age": {"type": "number", "minimum": 18, "maximum": 120},
                    },
                }
            }
        },
    }
}
PROBLEMS: Final[dict[int | str, dict[str, Any]]] = {
    401: {"description": "not_authenticated"},
    403: {"description": "forbidden or foreign_origin"},
    404: {"description": "not_found"},
}


# -- create -----------------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    dependencies=Guarded,
    openapi_extra=UPLOAD_OPENAPI,
    responses={
        **PROBLEMS,
        400: {"description": "bad_request (not multipart/form-data, too many parts or fields)"},
        408: {"description": "request_timeout (the body arrived too slowly)"},
        413: {"description": "file_too_large"},
        415: {"description": "unsupported_type"},
        422: {"description": "rejected file or validation_error"},
        503: {"description": "overloaded, not_ready or database_unavailable"},
    },
)
async def create_screening(
    request: Request, service: ServiceDep, principal: PrincipalDep
) -> ScreeningOut:
    model = service.model
    if model is None or service.sandbox is None:
        raise ApiError(
            503, "not_ready", service.model_problem, headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    admission = service.admission
    if not admission.try_receive():
        raise overloaded("Too many screenings in progress; try again shortly.")
    started = time.perf_counter()
    try:
        form = await read_upload_form(request, model.manifest, service.limits.max_bytes)
    finally:
        admission.received()
    if not admission.try_enter():
        raise overloaded("Too many screenings in progress; try again shortly.")
    try:
        try:
            async with asyncio.timeout(service.settings.request_deadline_s):
                pre = await anyio.to_thread.run_sync(
                    preprocess_in_sandbox,
                    service.sandbox,
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
            await anyio.to_thread.run_sync(_audit_rejection, service, request, principal, rejection)
            raise
        total_ms = (time.perf_counter() - started) * 1000
        row = await anyio.to_thread.run_sync(
            _store, service, principal, form, pre, output, request_id(request), total_ms
        )
    finally:
        service.admission.leave()
    canonical = storage.image_file(service.settings.data_dir, row.images, "canonical")
    if canonical is not None:
        model.attributions.schedule(row.id, canonical, form.clinical, output.heatmaps)
    body = screening_out(row, principal.username, form.patient_ref)
    return JSONResponse(  # type: ignore[return-value]
        body.model_dump(mode="json"), 201, headers={"Location": screening_url(row.id)}
    )


def _audit_rejection(
    service: Service, request: Request, principal: Principal, rejection: Rejection
) -> None:
    log.info("upload rejected: %s", rejection.code.value)
    with service.sessions.begin() as db:
        audit_row(
            db, request, "screening.create", f"rejected:{rejection.code.value}", principal.username
        )


def _store(
    service: Service,
    principal: Principal,
    form: UploadForm,
    pre: Preprocessed,
    output: ModelOutput,
    rid: str,
    total_ms: float,
) -> Screening:
    """Images, then row + audit row in one transaction; the images go again if that fails."""
    screening_id, created_at = uuid.uuid4(), utcnow()
    folder = storage.folder_for(created_at, screening_id)
    data_dir = service.settings.data_dir
    manifest = output.manifest
    tasks = {
        name: {
            "label": TASK_LABELS[name],
            "probability": result.probability,
            "prediction": bool(result.prediction),
            "threshold": manifest.tasks[name].threshold,
            "risk_band": result.risk_band,
            "reference_marker": result.reference_marker,
        }
        for name, result in output.results.items()
    }
    ingest_ms = pre.timings_ms.get("open", 0.0)
    try:
        images = storage.write_images(data_dir, folder, pre.layout.canonical, output.maps)
        with service.sessions.begin() as db:
            db.add(
                Screening(
                    id=screening_id,
                    created_at=created_at,
                    user_id=principal.user_id,
                    organisation=principal.organisation,
                    upload_sha256=hashlib.sha256(form.data).hexdigest(),
                    patient_ref_hmac=None
                    if form.patient_ref is None
                    else hn.blind_index(service.secret_key, form.patient_ref),
                    patient_ref_ciphertext=None
                    if form.patient_ref is None
                    else hn.encrypt(service.secret_key, form.patient_ref, str(screening_id)),
                    layout={
                        "profile": pre.layout.profile,
                        "kind": _input_kind(pre),
                        "input_type": pre.kind,
                        "px_per_mm": pre.layout.px_per_mm,
                        "rotation_deg": pre.layout.rotation_deg,
                        "rhythm_strips": pre.layout.rhythm_strips,
                        "paper_speed_mm_s": PAPER_SPEED_MM_S,
                    },
                    model_id=manifest.id,
                    model_version=manifest.version,
                    weights_sha256=manifest.weights.sha256 if manifest.weights else "",
                    model_synthetic=manifest.synthetic,
                    clinical=form.clinical_json,
                    outputs=tasks,
                    timings_ms={
                        "ingest": round(ingest_ms, 3),
                        "layout": round(sum(pre.timings_ms.values()) - ingest_ms, 3),
                        **output.timings_ms,
                        "total": round(total_ms, 3),
                    },
                    images=images,
                    scar_probability=output.results["scar"].probability,
                    scar_band=output.results["scar"].risk_band,
                    lvef_probability=output.results["lvef"].probability,
                    lvef_band=output.results["lvef"].risk_band,
                )
            )
            db.flush()
            audit.record(
                db,
                "screening.create",
                "success",
                actor=principal.username,
                object_id=str(screening_id),
                request_id=rid,
            )
            row = db.get_one(Screening, screening_id)
    except BaseException:
        storage.remove_images(data_dir, folder)
        raise
    return row


def _input_kind(pre: Preprocessed) -> str:
    """pdf, image, or waveform (a digital file drawn as a page)."""
    if pre.signals is not None:
        return "waveform"
    return "pdf" if pre.kind == "pdf" else "image"


# -- read -------------------------------------------------------------------------------------


def _filter(
    principal: Principal,
    service: Service,
    date_from: date | None,
    date_to: date | None,
    risk_band: Band | None,
    patient_ref: str | None,
) -> repo.ScreeningFilter:
    ref = patient_ref.strip() if patient_ref else None
    return repo.ScreeningFilter(
        organisation=None if principal.is_sysadmin else principal.organisation,
        date_from=date_from,
        date_to=date_to,
        risk_band=risk_band,
        patient_ref_hmac=hn.blind_index(service.secret_key, ref) if ref else None,
    )


DateFrom = Annotated[date | None, Query(description="inclusive, UTC")]
DateTo = Annotated[date | None, Query(description="inclusive, UTC")]
PatientRef = Annotated[str | None, Query(max_length=MAX_PATIENT_REF)]


@router.get("", responses=PROBLEMS)
def list_screenings(
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    db: DbDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 25,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    risk_band: Band | None = None,
    patient_ref: PatientRef = None,
) -> ScreeningPage:
    query = _filter(principal, service, date_from, date_to, risk_band, patient_ref)
    rows, total = repo.page(db, query, page, page_size)
    audit_row(db, request, "screening.list", "success", principal.username)
    db.commit()
    return ScreeningPage(
        items=[
            screening_out(
                row, username, clear_patient_ref(service.secret_key, row, principal.organisation)
            )
            for row, username in rows
        ],
        page=page,
        page_size=page_size,
        total=total,
    )


@router.get(
    "/export.csv",
    response_class=Response,
    responses={**PROBLEMS, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_screenings(
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    db: DbDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    risk_band: Band | None = None,
    patient_ref: PatientRef = None,
) -> Response:
    query = _filter(principal, service, date_from, date_to, risk_band, patient_ref)
    body = csv_export.render(
        (
            (row, username, clear_patient_ref(service.secret_key, row, principal.organisation))
            for row, username in repo.every(db, query)
        ),
        service.settings.zone,
    )
    audit_row(db, request, "screening.export", "success", principal.username)
    db.commit()
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="screenings.csv"'},
    )


def _visible(
    request: Request, db: DbDep, principal: Principal, screening_id: uuid.UUID
) -> tuple[Screening, str]:
    """The screening if this principal may see it: 404 when absent, 403 (audited) otherwise."""
    found = repo.one(db, screening_id)
    if found is None:
        raise ApiError(404, "not_found", "No such screening.")
    if not principal.is_sysadmin and found[0].organisation != principal.organisation:
        raise deny(
            db,
            request,
            ApiError(403, "forbidden", "This screening belongs to another organisation."),
            principal.username,
            str(screening_id),
        )
    return found


@router.get("/{screening_id}", responses=PROBLEMS)
def get_screening(
    screening_id: uuid.UUID,
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    db: DbDep,
) -> ScreeningOut:
    row, username = _visible(request, db, principal, screening_id)
    clear_ref = clear_patient_ref(service.secret_key, row, principal.organisation)
    audit_row(db, request, "screening.view", "success", principal.username, str(screening_id))
    db.commit()
    return screening_out(row, username, clear_ref)


@router.get(
    "/{screening_id}/images/{name}.png",
    response_class=FileResponse,
    responses={**PROBLEMS, 200: {"content": {"image/png": {}}}},
)
def get_image(
    screening_id: uuid.UUID,
    name: ImageName,
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    db: DbDep,
) -> FileResponse:
    row, _ = _visible(request, db, principal, screening_id)
    path = storage.image_file(service.settings.data_dir, row.images, name)
    if path is None or not path.is_file():
        raise ApiError(404, "not_found", "No such image.")
    audit_row(db, request, "screening.view_image", "success", principal.username, str(screening_id))
    db.commit()
    return FileResponse(path, media_type="image/png")


#: How long a client should wait before asking again for a pending attribution.
ATTRIBUTION_RETRY_S: Final = 1


@router.get(
    "/{screening_id}/attribution",
    responses={**PROBLEMS, 202: {"model": AttributionOut, "description": "pending"}},
)
def get_attribution(
    screening_id: uuid.UUID,
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    db: DbDep,
) -> AttributionOut:
    """Per-lead occlusion attribution and map similarity; 202 `pending` until computed."""
    row, _ = _visible(request, db, principal, screening_id)
    audit_row(
        db, request, "screening.view_attribution", "success", principal.username, str(screening_id)
    )
    db.commit()
    canonical = storage.image_file(service.settings.data_dir, row.images, "canonical")
    stored = None if canonical is None else attributions.read(canonical)
    if stored is not None:
        return AttributionOut.model_validate(stored)
    model = service.model
    if model is None:
        raise ApiError(
            503, "not_ready", service.model_problem, headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    made_by = {
        "id": row.model_id,
        "version": row.model_version,
        "weights_sha256": row.weights_sha256,
    }
    if canonical is None or made_by != attributions.model_identity(model.manifest):
        return AttributionOut(
            status="unavailable",
            reason="the model that made this screening is no longer the one served",
        )
    model.attributions.schedule(row.id, canonical, attributions.predictor_clinical(row.clinical))
    return JSONResponse(  # type: ignore[return-value]
        AttributionOut(status="pending").model_dump(mode="json"),
        202,
        headers={"Retry-After": str(ATTRIBUTION_RETRY_S)},
    )


@router.delete("/{screening_id}", status_code=204, dependencies=Guarded, responses=PROBLEMS)
def delete_screening(
    screening_id: uuid.UUID, request: Request, service: ServiceDep, admin: AdminDep, db: DbDep
) -> Response:
    row, _ = _visible(request, db, admin, screening_id)
    folder = storage.folder_of(row.images)
    db.delete(row)
    audit_row(db, request, "screening.delete", "success", admin.username, str(screening_id))
    db.commit()
    storage.remove_images(service.settings.data_dir, folder)
    return Response(status_code=204)
