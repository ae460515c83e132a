"""Writes signed checkpoints of the audit chain's head while the service runs, and at stop.

A background thread wakes every AUDIT_CHECKPOINT_INTERVAL_S and, when the chain has grown,
appends the head to the checkpoint file and logs it (the log leaves the machine with the other
logs). Deleting rows newer than the last checkpoint is the one edit `mtecg audit verify` cannot
see; the interval bounds it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mtecg.db import audit
from mtecg.db.models import utcnow
from mtecg.security import audit_checkpoints

log = logging.getLogger(__name__)


class AuditAnchor:
    def __init__(
        self, sessions: sessionmaker[Session], key: bytes, path: Path, interval_s: float
    ) -> None:
        self.sessions = sessions
        self.key = key
        self.path = path
        self.interval_s = interval_s
        self._last: tuple[int, str] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="audit-anchor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stops the thread and writes a last checkpoint (the shutdown anchor)."""
        if self._thread is None:
            return  # never started (start-up failed): nothing was anchored, nothing to add
        self._stop.set()
        self._thread.join(timeout=10)
        self.checkpoint()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.checkpoint()

    def checkpoint(self) -> bool:
        """Appends the head if it moved since the last checkpoint; True when one was written."""
        with self._lock:
            try:
                with self.sessions() as db:
                    head = audit.head(db)
            except SQLAlchemyError as error:
                log.warning("audit checkpoint skipped: %s", type(error).__name__)
                return False
            if head is None or head == self._last:
                return False
            point = audit_checkpoints.sign(self.key, utcnow().isoformat(), *head)
            audit_checkpoints.append(self.path, point)
            self._last = head
            log.info("audit checkpoint row_id=%d row_hash=%s mac=%s", *head, point.mac)
            return True
