"""The bounded queue in front of the model: admit or refuse at once, and drain on shutdown.

Used only from the event loop (no locks needed). `capacity` counts every screening between
admission and its answer; the next one gets 503 `overloaded` without waiting, so admitted
requests keep their latency instead of everyone getting slower. An upload whose body is still
arriving holds no model place: it holds one of `receivers` places instead (also refused at
once when they are taken), and takes its model place only once the whole file is here. A slow
or stalled sender therefore cannot keep screenings from others (the guard cuts it off anyway).
"""

from __future__ import annotations

import asyncio


class Admission:
    def __init__(self, capacity: int, receivers: int) -> None:
        self.capacity = capacity
        self.receivers = receivers
        self.in_flight = 0
        self.receiving = 0
        self.closed = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def full(self) -> bool:
        return self.closed or self.in_flight >= self.capacity

    def try_receive(self) -> bool:
        """A place to read an upload's body in; False when closed, full, or too many read."""
        if self.full or self.receiving >= self.receivers:
            return False
        self.receiving += 1
        return True

    def received(self) -> None:
        self.receiving -= 1

    def try_enter(self) -> bool:
        if self.full:
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
