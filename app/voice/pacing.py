"""One pacing timer for every call's player instead of one timer per call every 20 ms (and one for every
call's duration and silence timers instead of one per call every 100 ms).

With 200 calls speaking, per-player `sleep(0.02)` puts 10,000 timers a second on the event loop (each a heap
entry, a timer handle and a future). The shared tick runs one timer while anyone waits and, on each tick,
wakes every player whose deadline has come. A player is never woken before its deadline and at most one
period after it (plus the loop's own lateness); since every call's deadlines advance by whole frames and the
ticks by the same period, each call keeps a constant offset to the grid, so its chunks stay evenly spaced.
A tick that comes late wakes whoever is due once; it never fires the missed ticks in a burst.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import weakref

from app.voice.audio import FRAME_MS
from app.voice.clock import Clock

PERIOD = FRAME_MS / 1000
_EPSILON = 1e-6   # float noise: a deadline equal to a tick is due on that tick


class PacingTick:
    def __init__(self, clock: Clock, period: float = PERIOD) -> None:
        self.clock = clock
        self.period = period
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._ticker: asyncio.Task[None] | None = None
        self.ticks = 0        # timer wakes so far (for tests and benchmarks)
        self.skipped = 0      # ticks not fired because the loop was late (never fired in a burst)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def until(self, deadline: float) -> None:
        """Returns on the first tick at or after `deadline` (at once if it has passed)."""
        if deadline <= self.clock.now():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (deadline, next(self._order), future))
        loop = asyncio.get_running_loop()
        if self._ticker is None or self._ticker.done() or self._ticker.get_loop() is not loop:
            self._ticker = loop.create_task(self._run(), name="pacing-tick")
        try:
            await future
        except asyncio.CancelledError:
            self._leave(future)
            raise

    def _leave(self, future: asyncio.Future[None]) -> None:
        """A player cancelled while it waited (its call ended): the last one out stops the timer."""
        self._waiters = [entry for entry in self._waiters if entry[2] is not future]
        heapq.heapify(self._waiters)
        if not self._waiters and self._ticker is not None and not self._ticker.done():
            self._ticker.cancel()

    def _wake_due(self, now: float) -> None:
        waiters = self._waiters
        while waiters and waiters[0][0] <= now + _EPSILON:
            future = heapq.heappop(waiters)[2]
            if not future.done():   # a cancelled player's future is skipped
                future.set_result(None)

    async def _run(self) -> None:
        """Ticks every `period` while anyone waits, then ends (an idle server holds no timer)."""
        next_at = self.clock.now() + self.period
        while self._waiters:
            await self.clock.sleep(next_at - self.clock.now())
            now = self.clock.now()
            self.ticks += 1
            self._wake_due(now)
            next_at += self.period
            if now - next_at >= 0:   # late by a whole period or more: resume the grid from now
                missed = int((now - next_at) // self.period) + 1
                self.skipped += missed
                next_at += missed * self.period


_shared: weakref.WeakKeyDictionary[Clock, dict[float, PacingTick]] = weakref.WeakKeyDictionary()


def shared_tick(clock: Clock, period: float = PERIOD) -> PacingTick:
    """The one tick of `period` for everything that runs on `clock` (the server's clock: one per process):
    every call's player on the 20 ms tick, every call's duration and silence timers on a 100 ms one."""
    ticks = _shared.setdefault(clock, {})
    tick = ticks.get(period)
    if tick is None:
        tick = ticks[period] = PacingTick(clock, period)
    return tick
