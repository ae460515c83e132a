"""A screening in standard forms: FHIR R4 Bundle and a one-page Thai PDF report.

Both are built from the detail route's `ScreeningOut` (api/view.py), are visible to the same
users (the screening's organisation, or an admin) and are audited like any other view.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from mtecg.api import attributions, storage
from mtecg.api.deps import AuditDep, PrincipalDep, ServiceDep, VisibleScreeningDep
from mtecg.api.fhir import screening_bundle
from mtecg.api.report_pdf import screening_report
from mtecg.api.routes.model import card
from mtecg.api.routes.screenings import PROBLEMS
from mtecg.api.schemas import ModelCard, ScreeningOut
from mtecg.api.service import Service
from mtecg.api.view import viewed_screening
from mtecg.tasks import IMAGE_NAMES

router = APIRouter(prefix="/screenings", tags=["screenings"])
FHIR_JSON: Final = "application/fhir+json"


def _card_for(service: Service, screening: ScreeningOut) -> ModelCard | None:
    """The model card, if the loaded model is the one that made this screening."""
    model = service.model
    if model is None:
        return None
    manifest = model.manifest
    if (manifest.id, manifest.version) != (screening.model.id, screening.model.version):
        return None
    return card(manifest)


@router.get(
    "/{screening_id}/fhir",
    response_class=JSONResponse,
    responses={**PROBLEMS, 200: {"content": {FHIR_JSON: {"schema": {"type": "object"}}}}},
)
def get_fhir(
    visible: VisibleScreeningDep,
    request: Request,
    service: ServiceDep,
    principal: PrincipalDep,
    audit: AuditDep,
) -> JSONResponse:
    screening = viewed_screening(*visible, service.secret_key, principal.organisation)
    base_url = str(request.base_url).rstrip("/")
    bundle: dict[str, Any] = screening_bundle(screening, _card_for(service, screening), base_url)
    audit.commit("screening.view_fhir", principal.username, str(screening.id))
    return JSONResponse(bundle, media_type=FHIR_JSON)


@router.get(
    "/{screening_id}/report.pdf",
    response_class=Response,
    responses={**PROBLEMS, 200: {"content": {"application/pdf": {}}}},
)
def get_report(
    visible: VisibleScreeningDep,
    service: ServiceDep,
    principal: PrincipalDep,
    audit: AuditDep,
) -> Response:
    row = visible[0]
    screening = viewed_screening(*visible, service.secret_key, principal.organisation)
    data_dir = service.settings.data_dir
    images = {
        name: path
        for name in IMAGE_NAMES
        if (path := storage.image_file(data_dir, row.images, name)) is not None
    }
    canonical = images.get("canonical")
    pdf = screening_report(
        screening, images, None if canonical is None else attributions.read(canonical)
    )
    audit.commit("screening.view_report", principal.username, str(row.id))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="screening-{row.id}.pdf"'},
    )
