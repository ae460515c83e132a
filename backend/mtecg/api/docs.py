"""The API's own documentation, served from this machine: Swagger UI and the OpenAPI schema.

A hospital network often has no internet, and FastAPI's stock docs page loads Swagger UI from
a CDN (a blank page offline). The Swagger UI files come from the `fastapi-offline` package
instead and are served under API_PREFIX/docs/assets; Swagger's online validator badge is off.

The schema declares how to authenticate (an API key as a bearer token, or the browser's
session cookie) so that "Authorize" in the docs page works.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from mtecg.api.deps import SESSION_COOKIE
from mtecg.api.view import API_PREFIX

DOCS_URL: Final = f"{API_PREFIX}/docs"
ASSETS_URL: Final = f"{DOCS_URL}/assets"
SECURITY_SCHEMES: Final = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`mtecg api-keys create`): `Authorization: Bearer mtecg_...`",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser session set by POST /api/v1/auth/login",
    },
}
# Routes anyone may call; every other operation needs one of the schemes.
_PUBLIC: Final = {
    *(f"{API_PREFIX}/{path}" for path in ("auth/login", "auth/logout", "model", "assessment")),
    "/livez",
    "/readyz",
}


def install_docs(app: FastAPI) -> None:
    """Serves Swagger UI from the package's files (the schema itself: `api/openapi.py`)."""
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS_URL, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=str(app.openapi_url),
            title="mtecg API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )


def with_security(schema: dict[str, Any]) -> dict[str, Any]:
    """Declares the security schemes and which operations need them (all but `_PUBLIC`);
    `api/openapi.py` applies it when it builds the schema."""
    schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in schema.get("paths", {}).items():
        if path in _PUBLIC:
            continue
        for operation in operations.values():
            operation["security"] = [{"apiKey": []}, {"session": []}]
    return schema
