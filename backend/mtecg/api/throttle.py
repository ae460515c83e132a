"""Login throttling: after N failures for one (username, client) the next tries wait.

Kept in memory: the service runs one process, and a restart forgetting the counts is harmless
next to the cost of argon2 per try. Keyed by username and client together so an attacker
cannot lock a clinician out from elsewhere by failing on purpose from one address.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Final

#: Distinct (username, client) pairs remembered before stale ones are forgotten.
_MAX_KEYS: Final = 10_000


class LoginThrottle:
    def __init__(self, max_failures: int, window_s: float) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, username: str, client: str) -> int | None:
        """Seconds to wait before trying again, or None when a try is allowed now."""
        now = time.monotonic()
        with self._lock:
            times = self._failures.get((username.casefold(), client))
            if times is None:
                return None
            while times and now - times[0] > self.window_s:
                times.popleft()
            if len(times) < self.max_failures:
                return None
            return max(1, int(times[0] + self.window_s - now) + 1)

    def failed(self, username: str, client: str) -> None:
        with self._lock:
            if len(self._failures) >= _MAX_KEYS:
                now = time.monotonic()
                self._failures = {
                    k: v for k, v in self._failures.items() if v and now - v[-1] <= self.window_s
                }
            key = (username.casefold(), client)
            self._failures.setdefault(key, deque(maxlen=self.max_failures)).append(time.monotonic())

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop((username.casefold(), client), None)
