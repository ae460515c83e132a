"""Screenings: upload and screen a printout, list, read, export, view images, delete.

Routes only bind the request to the work: screening_upload.py screens an upload and
screening_store.py stores it; every read and change is audited in its own transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from mtecg.api import attributions, csv_export, storage
from mtecg.api.deps import (
    AdminDep,
    AuditDep,
    DbDep,
    Guarded,
    ModelDep,
    Principal,
    PrincipalDep,
    SandboxDep,
    ServiceDep,
    VisibleScreeningDep,
    get_model,
)
from mtecg.api.errors import ApiError
from mtecg.api.schemas import AttributionOut, ScreeningOut, ScreeningPage
from mtecg.api.screening_upload import screen_upload
from mtecg.api.service import Service
from mtecg.api.upload_form import MAX_PATIENT_REF, UPLOAD_OPENAPI
from mtecg.api.view import clear_patient_ref, screening_out, screening_url, viewed_screening
from mtecg.db import screenings as repo
from mtecg.security import patient_ref as hn
from mtecg.tasks import Band, ImageName

router = APIRouter(prefix="/screenings", tags=["screenings"])

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
    request: Request,
    response: Response,
    service: ServiceDep,
    principal: PrincipalDep,
    model: ModelDep,
    sandbox: SandboxDep,
) -> ScreeningOut:
    """Screens the uploaded file (`ScreeningUpload`); 201 only once it is stored."""
    screened = await screen_upload(request, service, model, sandbox, principal)
    response.headers["Location"] = screening_url(screened.row.id)
    return screening_out(screened.row, principal.username, screened.form.patient_ref)


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
    service: ServiceDep,
    principal: PrincipalDep,
    db: DbDep,
    audit: AuditDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 25,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    risk_band: Band | None = None,
    patient_ref: PatientRef = None,
) -> ScreeningPage:
    query = _filter(principal, service, date_from, date_to, risk_band, patient_ref)
    rows, total = repo.page(db, query, page, page_size)
    audit.commit("screening.list", principal.username)
    return ScreeningPage(
        items=[
            viewed_screening(row, username, service.secret_key, principal.organisation)
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
    service: ServiceDep,
    principal: PrincipalDep,
    db: DbDep,
    audit: AuditDep,
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
    audit.commit("screening.export", principal.username)
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="screenings.csv"'},
    )


@router.get("/{screening_id}", responses=PROBLEMS)
def get_screening(
    visible: VisibleScreeningDep, service: ServiceDep, principal: PrincipalDep, audit: AuditDep
) -> ScreeningOut:
    row, username = visible
    body = viewed_screening(row, username, service.secret_key, principal.organisation)
    audit.commit("screening.view", principal.username, str(row.id))
    return body


@router.get(
    "/{screening_id}/images/{name}.png",
    response_class=FileResponse,
    responses={**PROBLEMS, 200: {"content": {"image/png": {}}}},
)
def get_image(
    visible: VisibleScreeningDep,
    name: ImageName,
    service: ServiceDep,
    principal: PrincipalDep,
    audit: AuditDep,
) -> FileResponse:
    row, _ = visible
    path = storage.image_file(service.settings.data_dir, row.images, name)
    if path is None or not path.is_file():
        raise ApiError(404, "not_found", "No such image.")
    audit.commit("screening.view_image", principal.username, str(row.id))
    return FileResponse(path, media_type="image/png")


#: How long a client should wait before asking again for a pending attribution.
ATTRIBUTION_RETRY_S: Final = 1


@router.get(
    "/{screening_id}/attribution",
    responses={**PROBLEMS, 202: {"model": AttributionOut, "description": "pending"}},
)
def get_attribution(
    visible: VisibleScreeningDep,
    response: Response,
    service: ServiceDep,
    principal: PrincipalDep,
    audit: AuditDep,
) -> AttributionOut:
    """Per-lead occlusion attribution and map similarity; 202 `pending` until computed."""
    row, _ = visible
    audit.commit("screening.view_attribution", principal.username, str(row.id))
    canonical = storage.image_file(service.settings.data_dir, row.images, "canonical")
    stored = None if canonical is None else attributions.read(canonical)
    if stored is not None:
        return AttributionOut.model_validate(stored)
    model = get_model(service)  # only now: a stored attribution needs no model
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
    model.attributions.schedule(
        row.id, canonical, attributions.predictor_clinical(row.clinical), asked=True
    )
    response.status_code = 202
    response.headers["Retry-After"] = str(ATTRIBUTION_RETRY_S)
    return AttributionOut(status="pending")


@router.delete("/{screening_id}", status_code=204, dependencies=Guarded, responses=PROBLEMS)
def delete_screening(
    admin: AdminDep, visible: VisibleScreeningDep, service: ServiceDep, audit: AuditDep
) -> Response:
    row, _ = visible
    folder = storage.folder_of(row.images)
    audit.db.delete(row)
    audit.commit("screening.delete", admin.username, str(row.id))
    storage.remove_images(service.settings.data_dir, folder)
    return Response(status_code=204)
