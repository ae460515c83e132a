"""The OpenAPI schema says what the API really answers on errors: problem+json, every time.

FastAPI documents its own 422 body (`HTTPValidationError`, application/json) and nothing for
the errors a route raises itself. Every error this API sends is `application/problem+json`
(see `errors.py`), so the generated schema is rewritten once: each 4xx/5xx response of every
operation gets the Problem schema, and every operation documents 422 and 500. A client
generated from the schema, and schemathesis's conformance checks, then see the truth.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mtecg.api.docs import with_security
from mtecg.api.errors import PROBLEM_JSON
from mtecg.api.upload_form import COMPONENT_REF, ScreeningUpload
from mtecg.api.view import SCREENINGS_PATH, screening_url

PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail", "request_id"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "field": {"type": "string"},
        "reason": {"type": "string"},
    },
}
_ALWAYS: Final = {
    "422": "validation_error",
    "500": "internal_error (no detail; quote the request_id)",
}
_METHODS: Final = {"get", "put", "post", "delete", "patch", "head", "options"}


#: Where a screening id found in one answer can be used next (OpenAPI links): clients, and the
#: stateful tests, follow them from a list or an upload to the record, its images, its deletion.
_SCREENING = screening_url("{screening_id}")
_LINK_TARGETS: Final = {
    "GetScreening": (_SCREENING, "get"),
    "GetScarImage": (_SCREENING + "/images/{name}.png", "get"),
    "DeleteScreening": (_SCREENING, "delete"),
}
_LINK_SOURCES: Final = {
    (SCREENINGS_PATH, "get", "200"): "$response.body#/items/0/id",
    (SCREENINGS_PATH, "post", "201"): "$response.body#/id",
}


def _pointer(path: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1")


def screening_links(schema: dict[str, Any]) -> None:
    for (path, method, status), value in _LINK_SOURCES.items():
        response = schema["paths"][path][method]["responses"].get(status)
        if response is None:
            continue
        response["links"] = {
            name: {
                "operationRef": f"{_pointer(target)}/{verb}",
                "parameters": {"screening_id": value}
                | ({"name": "scar"} if "{name}" in target else {}),
            }
            for name, (target, verb) in _LINK_TARGETS.items()
        }


#: Forms that routes read themselves (upload_form.py); their `openapi_extra` names the model.
FORM_MODELS: Final = (ScreeningUpload,)


def form_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds each form's pydantic model to the components its request body refers to."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in FORM_MODELS:
        components[model.__name__] = model.model_json_schema(ref_template=COMPONENT_REF)
    return schema


def problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in schema.get("paths", {}).values():
        for method, operation in path.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in _ALWAYS.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = content
    screening_links(schema)
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generated = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            app.openapi_schema = problem_responses(form_schemas(with_security(generated)))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
