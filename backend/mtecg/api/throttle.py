"""Login throttling: per (username, client) lockout, and a per-user ceiling that slows down.

Kept in memory: the service runs one process, and a restart forgetting the counts is harmless
next to the cost of argon2 per try. The lockout is keyed by username and client together, so
an attacker cannot lock a clinician out from elsewhere by failing on purpose from one address
(the client is the browser's address as the web app's proxy reports it, see
MTECG_TRUSTED_PROXIES). An attacker with many addresses is met by the per-user ceiling: past it
every try for that user, from anywhere, waits before it is checked, which makes guessing slow
without ever refusing the real user.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Final

#: Distinct keys remembered before stale ones are forgotten.
_MAX_KEYS: Final = 10_000


class _Window:
    """Failure times per key within a sliding window, at most `keep` per key."""

    def __init__(self, keep: int, window_s: float) -> None:
        self.keep = keep
        self.window_s = window_s
        self.times: dict[object, deque[float]] = {}

    def count(self, key: object, now: float) -> deque[float] | None:
        times = self.times.get(key)
        if times is None:
            return None
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def add(self, key: object, now: float) -> None:
        if len(self.times) >= _MAX_KEYS:
            self.times = {k: v for k, v in self.times.items() if v and now - v[-1] <= self.window_s}
        self.times.setdefault(key, deque(maxlen=self.keep)).append(now)


class LoginThrottle:
    def __init__(
        self, max_failures: int, window_s: float, user_slow_after: int, user_delay_s: float
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.user_slow_after = user_slow_after
        self.user_delay_s = user_delay_s
        self._pairs = _Window(max_failures, window_s)
        self._users = _Window(user_slow_after, window_s)
        self._lock = threading.Lock()

    def retry_after(self, username: str, client: str) -> int | None:
        """Seconds this client must wait before trying this user again, or None."""
        now = time.monotonic()
        with self._lock:
            times = self._pairs.count((username.casefold(), client), now)
            if times is None or len(times) < self.max_failures:
                return None
            return max(1, int(times[0] + self.window_s - now) + 1)

    def delay_s(self, username: str) -> float:
        """How long to slow this try down: 0 until the user's failures pass the ceiling."""
        with self._lock:
            times = self._users.count(username.casefold(), time.monotonic())
            return self.user_delay_s if times and len(times) >= self.user_slow_after else 0.0

    def failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._pairs.add((username.casefold(), client), now)
            self._users.add(username.casefold(), now)

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._pairs.times.pop((username.casefold(), client), None)
