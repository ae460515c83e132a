"""The outermost layer of every request: host check, request id, header and body limits,
security headers, access log, cache policy.

Written as plain ASGI (not a BaseHTTPMiddleware) so that it sees the body as it streams in:
a declared Content-Length over the cap is refused before the handler runs, and a body without
one (chunked) is counted as it arrives and cut off at the cap, so nothing ever holds more than
the cap in memory. The body must also keep arriving: after a short grace period it must have
come at BODY_MIN_RATE on average, else the request ends with 408 `request_timeout` (a client
sending one byte every few seconds would otherwise hold a place for as long as it likes).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mtecg.api.errors import ApiError, problem
from mtecg.api.view import API_PREFIX, SCREENINGS_PATH, SIGNALS_PATH

log = logging.getLogger("mtecg.api.access")

#: Routes that take a file: screening uploads and signal exports.
UPLOAD_PATHS: Final = (SCREENINGS_PATH, SIGNALS_PATH)
DOCS_PATH: Final = f"{API_PREFIX}/docs"
#: Multipart framing and the small form fields travel with the file.
UPLOAD_OVERHEAD_BYTES: Final = 64 * 1024
#: Every other request carries at most a small JSON object.
OTHER_BODY_BYTES: Final = 64 * 1024
#: Browsers send about 15 headers; the size of them all is capped by the server (h11).
MAX_HEADERS: Final = 100
_REQUEST_ID: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: Same baseline as the web app's pages; an API answer is never a page to frame or sniff.
SECURITY_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
API_CSP: Final = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HSTS: Final = b"max-age=31536000; includeSubDomains"


def body_too_large(cap: int) -> ApiError:
    return ApiError(413, "file_too_large", f"The request body is larger than {cap} bytes.")


def body_too_slow() -> ApiError:
    return ApiError(
        408,
        "request_timeout",
        "The request body arrived too slowly.",
        headers={"Connection": "close"},
    )


@dataclass(frozen=True)
class GuardLimits:
    max_upload_bytes: int
    allowed_hosts: frozenset[str]
    body_grace_s: float
    body_min_rate: int


def host_name(host_header: str) -> str:
    """`example.org:8000` -> `example.org`, `[::1]:8000` -> `::1` (lower case)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class RequestGuard:
    def __init__(self, app: ASGIApp, limits: GuardLimits) -> None:
        self.app = app
        self.limits = limits

    def cap_for(self, scope: Scope) -> int:
        if scope["method"] == "POST" and scope["path"].rstrip("/") in UPLOAD_PATHS:
            return self.limits.max_upload_bytes + UPLOAD_OVERHEAD_BYTES
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
        started = time.monotonic()
        status = 0
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [(b"x-request-id", rid.encode()), *SECURITY_HEADERS]
                if scope["path"].startswith("/api/"):
                    extra.append((b"cache-control", b"no-store"))
                if not scope["path"].startswith(DOCS_PATH):
                    extra.append((b"content-security-policy", API_CSP))
                if tls:
                    extra.append((b"strict-transport-security", HSTS))
                names = {name for name, _ in extra}
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k not in names
                ] + extra
            await send(message)

        received = 0
        body_done = False
        limits = self.limits

        async def counted_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # after the body only a disconnect can come: no deadline on that
                return await receive()
            # The whole body so far must have come at the minimum rate after the grace period.
            allowed_until = started + limits.body_grace_s + received / limits.body_min_rate
            try:
                async with asyncio.timeout(max(0.0, allowed_until - time.monotonic())):
                    message = await receive()
            except TimeoutError:
                raise body_too_slow() from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > cap:
                    raise body_too_large(cap)
            return message

        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        try:
            refusal = self._refusal(scope, headers, declared, cap)
            if refusal is not None:
                await self._refuse(scope, send_with_headers, refusal)
            else:
                await self.app(scope, counted_receive, send_with_headers)
        finally:
            # Method, path (ids only, never a query string), status and time: no patient data.
            # The path is escaped by the log formatter (mtecg.logsafe): it cannot forge lines.
            log.info(
                "%s %s %s %.0fms rid=%s",
                scope["method"],
                scope["path"],
                status,
                (time.monotonic() - started) * 1000,
                rid,
            )

    def _refusal(
        self, scope: Scope, headers: dict[bytes, bytes], declared: int, cap: int
    ) -> ApiError | None:
        host = host_name(headers.get(b"host", b"").decode("latin-1"))
        if host not in self.limits.allowed_hosts:
            return ApiError(400, "invalid_host", "This host name is not served here.")
        if len(scope["headers"]) > MAX_HEADERS:
            return ApiError(431, "headers_too_large", "The request has too many headers.")
        if declared > cap:
            return body_too_large(cap)
        return None

    async def _refuse(self, scope: Scope, send: Send, error: ApiError) -> None:
        response = problem(Request(scope), error.status_code, error.code, str(error.detail))
        response.headers["Connection"] = "close"
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
