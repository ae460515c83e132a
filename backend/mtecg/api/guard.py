"""The outermost layer of every request: request id, body-size cap, access log, cache policy.

Written as plain ASGI (not a BaseHTTPMiddleware) so that it sees the body as it streams in:
a declared Content-Length over the cap is refused before the handler runs, and a body without
one (chunked) is counted as it arrives and cut off at the cap, so nothing ever holds more than
the cap in memory.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mtecg.api.errors import ApiError, problem

log = logging.getLogger("mtecg.api.access")

UPLOAD_PATH: Final = "/api/v1/screenings"
#: Routes that take a file: screening uploads and signal exports.
UPLOAD_PATHS: Final = (UPLOAD_PATH, "/api/v1/signals")
#: Multipart framing and the small form fields travel with the file.
UPLOAD_OVERHEAD_BYTES: Final = 64 * 1024
#: Every other request carries at most a small JSON object.
OTHER_BODY_BYTES: Final = 64 * 1024
_REQUEST_ID: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def body_too_large(cap: int) -> ApiError:
    return ApiError(413, "file_too_large", f"The request body is larger than {cap} bytes.")


class RequestGuard:
    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    def cap_for(self, scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"].rstrip("/") in UPLOAD_PATHS:
            return self.max_upload_bytes + UPLOAD_OVERHEAD_BYTES
        return OTHER_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        cap = self.cap_for(scope)
        started = time.perf_counter()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [(b"x-request-id", rid.encode())]
                if scope["path"].startswith("/api/"):
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k != b"cache-control"
                ] + extra
            await send(message)

        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise body_too_large(cap)
            return message

        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        try:
            if declared > cap:
                await self._refuse(scope, send_with_headers, cap)
            else:
                await self.app(scope, counted_receive, send_with_headers)
        finally:
            # Method, path (ids only, never a query string), status and time: no patient data.
            log.info(
                "%s %s %s %.0fms rid=%s",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                rid,
            )

    async def _refuse(self, scope: Scope, send: Send, cap: int) -> None:
        error = body_too_large(cap)
        response = problem(Request(scope), 413, error.code, str(error.detail))
        response.headers["Connection"] = "close"
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
