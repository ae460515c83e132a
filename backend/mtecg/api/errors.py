"""Errors as data: every failure the API reports is application/problem+json with a stable code.

`ApiError` subclasses Starlette's HTTPException so that FastAPI passes it through unchanged
even when it is raised while the framework itself reads the body (the upload size cap).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from mtecg.errors import Rejection
from mtecg.security.patient_ref import PatientRefKeyError

log = logging.getLogger(__name__)

PROBLEM_JSON: Final = "application/problem+json"
#: How long a client should wait before retrying a 503 (seconds).
RETRY_AFTER_S: Final = 2
_CODES_BY_STATUS: Final = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "file_too_large",
    415: "unsupported_type",
    408: "request_timeout",
    422: "validation_error",
}


class ApiError(HTTPException):
    """A failure with its HTTP status, stable `code`, English `detail` and optional `field`."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail, dict(headers) if headers else None)
        self.code = code
        self.field = field


def overloaded(detail: str) -> ApiError:
    return ApiError(503, "overloaded", detail, headers={"Retry-After": str(RETRY_AFTER_S)})


def not_ready(detail: str) -> ApiError:
    """503 `not_ready`: the model (or the service) is not there yet; `detail` says why."""
    return ApiError(503, "not_ready", detail, headers={"Retry-After": str(RETRY_AFTER_S)})


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    reason: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
        "request_id": request_id(request),
    }
    if field is not None:
        body["field"] = field
    if reason is not None:
        body["reason"] = reason
    return JSONResponse(body, status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


def _field_name(loc: tuple[Any, ...]) -> str:
    """`("body", "age")` -> `age`; the transport part of the location is noise to a client."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> JSONResponse:
        if isinstance(error, ApiError):
            code, field = error.code, error.field
        else:
            code, field = _CODES_BY_STATUS.get(error.status_code, "bad_request"), None
        return problem(
            request,
            error.status_code,
            code,
            str(error.detail),
            field=field,
            headers=error.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        field = _field_name(tuple(first.get("loc", ())))
        return problem(
            request, 422, "validation_error", f"{field}: {first.get('msg')}", field=field
        )

    @app.exception_handler(Rejection)
    async def _rejection(request: Request, error: Rejection) -> JSONResponse:
        return problem(
            request, error.code.http_status, error.code.value, error.message, reason=error.reason
        )

    @app.exception_handler(PatientRefKeyError)
    async def _patient_key(request: Request, error: PatientRefKeyError) -> JSONResponse:
        # Fail closed: no row is shown with a garbled or missing HN in place of the real one.
        log.error("patient reference not decryptable: %s", error)
        return problem(request, 500, "patient_ref_key_mismatch", str(error))

    async def _database(request: Request, error: Exception) -> JSONResponse:
        log.error("database unavailable: %s", type(getattr(error, "orig", error)).__name__)
        return problem(
            request,
            503,
            "database_unavailable",
            "The database is not answering.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    # Connection-level failures only: an IntegrityError is a bug, not an outage.
    app.add_exception_handler(OperationalError, _database)
    app.add_exception_handler(InterfaceError, _database)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _error: ClientDisconnect) -> JSONResponse:
        # An ordinary event (a closed laptop, a cancelled upload): one line, no traceback.
        log.info("client disconnected before its request was read: %s", request.url.path)
        return problem(request, 400, "client_disconnected", "The client went away.")

    @app.exception_handler(Exception)
    async def _internal(request: Request, error: Exception) -> JSONResponse:
        # Anything unforeseen: problem+json with the request id to quote, and no detail (the
        # traceback goes to the log, where the request id finds it).
        rid = request_id(request)
        log.error("unhandled %s rid=%s", type(error).__name__, rid)
        response = problem(request, 500, "internal_error", "Something went wrong on our side.")
        if rid:
            response.headers["X-Request-ID"] = rid
        return response
