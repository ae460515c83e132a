"""Log lines that a request cannot forge: control characters in messages are escaped.

A path such as `/x%0a2026-01-01 INFO forged` decodes to a newline; written as is it would start
a fake log line (and a NUL or an ANSI escape can hide text in a terminal). Every handler the
service configures uses `SafeFormatter`, so this holds for every logger, not only the access
log. Tracebacks keep their own line breaks: they are added after the message is escaped.
"""

from __future__ import annotations

import logging
import re
from typing import Final

#: C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s %(message)s"


def escape(text: str) -> str:
    return _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


class SafeFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape(record.message)
        return super().formatMessage(record)


def configure(level: int = logging.INFO) -> None:
    """The service's logging: one stderr handler with `SafeFormatter`, uvicorn's loggers too."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
