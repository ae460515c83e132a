"""How `mtecg serve` runs uvicorn: limits on the request head that the app cannot set itself.

The head of a request (request line and headers) is parsed by the server before the app sees
anything, so its limits live here: h11 (not httptools, which has no size limit) refuses a head
over `MAX_HEAD_BYTES`, and `HeadDeadlineProtocol` closes a connection whose head is not
complete `header_timeout_s` after its first byte (slowloris); the keep-alive timeout covers
the idle time between requests.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from mtecg.logsafe import configure
from mtecg.settings import Settings

#: Request line plus all headers; browsers send a few KiB, a big cookie set maybe 16 KiB.
MAX_HEAD_BYTES: Final = 64 * 1024


class HeadDeadlineProtocol(H11Protocol):
    header_timeout_s: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Armed while a head is awaited or partly here; disarmed once h11 has the request."""
        waiting = self.conn.their_state is h11.IDLE and self.timeout_keep_alive_task is None
        if waiting and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_too_slow)
        elif not waiting:
            self._cancel_head_timer()

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def serve(settings: Settings, host: str, port: int) -> None:
    from mtecg.api import create_app

    configure()
    protocol = type(
        "ConfiguredHeadDeadlineProtocol",
        (HeadDeadlineProtocol,),
        {"header_timeout_s": settings.header_timeout_s},
    )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": 1,
        "http": protocol,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "log_config": None,  # mtecg.logsafe.configure: every line escaped
        "access_log": False,  # its lines carry query strings (patient_ref); the app logs its own
        # The app's ProxyHeadersMiddleware applies MTECG_TRUSTED_PROXIES itself.
        "proxy_headers": False,
        "server_header": False,
        "timeout_graceful_shutdown": int(settings.request_deadline_s) + 5,
    }
    uvicorn.run(create_app(settings), **options)
