"""The bounded queue in front of the model: admit or refuse at once, and drain on shutdown.

Used only from the event loop (no locks needed). `capacity` counts every screening between
admission and its answer; the next one gets 503 `overloaded` without waiting, so admitted
requests keep their latency instead of everyone getting slower.
"""

from __future__ import annotations

import asyncio


class Admission:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_flight = 0
        self.closed = False
        self._idle = asyncio.Event()
        self._idle.set()

    def try_enter(self) -> bool:
        if self.closed or self.in_flight >= self.capacity:
            return False
        self.in_flight += 1
        self._idle.clear()
        return True

    def leave(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    async def drain(self, timeout_s: float) -> bool:
        """Stops admitting and waits for admitted screenings; False if they outlast the wait."""
        self.closed = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True
