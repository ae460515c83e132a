"""`create_app(settings)`: the FastAPI application and its lifespan.

The lifespan builds the `Service` (database check, first accounts, model load and warm-up,
sandbox workers) before the first request, and on shutdown stops admitting uploads, waits for
the admitted ones to finish (up to the request deadline), then stops the model worker and the
sandbox.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from mtecg.api.docs import install_docs
from mtecg.api.errors import install_error_handlers
from mtecg.api.guard import GuardLimits, RequestGuard
from mtecg.api.openapi import install_openapi
from mtecg.api.routes import assessment, auth, health, model, reports, screenings, signals, users
from mtecg.api.service import Service
from mtecg.api.view import API_PREFIX
from mtecg.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service(settings)
        app.state.service = service
        try:
            await anyio.to_thread.run_sync(service.start)
        except BaseException:
            await anyio.to_thread.run_sync(service.stop)
            raise
        try:
            yield
        finally:
            if not await service.admission.drain(settings.request_deadline_s):
                log.warning("shutting down with screenings still in progress")
            await anyio.to_thread.run_sync(service.stop)

    app = FastAPI(
        title="mtecg",
        version="1",
        summary="Screening aid for myocardial scar and LVEF < 50 % from 12-lead ECG printouts.",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # docs.py serves it, without a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    install_docs(app)
    install_openapi(app)
    app.include_router(health.router)
    for router in (
        auth.router,
        users.router,
        model.router,
        screenings.router,
        reports.router,
        assessment.router,
        signals.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.add_middleware(
        RequestGuard,
        limits=GuardLimits(
            max_upload_bytes=settings.max_upload_bytes,
            allowed_hosts=frozenset(h.lower() for h in settings.allowed_hosts),
            body_grace_s=settings.body_grace_s,
            body_min_rate=settings.body_min_rate,
        ),
    )
    # Outermost: the client address and scheme come from X-Forwarded-For/-Proto only when the
    # peer is one of MTECG_TRUSTED_PROXIES (the web app's proxy); anyone else's are ignored.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
