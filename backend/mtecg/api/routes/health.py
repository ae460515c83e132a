"""Liveness (the process answers) and readiness (model loaded and warm, database current)."""

from __future__ import annotations

from fastapi import APIRouter

from mtecg.api.deps import ServiceDep
from mtecg.api.errors import not_ready
from mtecg.api.schemas import Live, ModelRef, Ready

router = APIRouter(tags=["health"])


@router.get("/livez")
async def livez() -> Live:
    return Live(status="live")


@router.get("/readyz", responses={503: {"description": "not ready; `detail` says why"}})
def readyz(service: ServiceDep) -> Ready:
    reason = service.readiness_problem()
    if reason is not None or service.model is None:
        raise not_ready(reason or "the model is loading")
    manifest = service.model.manifest
    return Ready(status="ready", model=ModelRef(id=manifest.id, version=manifest.version))
