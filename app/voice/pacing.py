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
import math
import weakref

from app.voice.audio import FRAME_MS
from app.voice.clock import Clock

PERIOD = FRAME_MS / 1000
_EPSILON = 1e-6  # in periods: float noise never moves a deadline that falls on a tick to the next one


class PacingTick:
    """Tick k falls at `origin + k * period`, the origin fixed at first use: a waiter is assigned its tick once,
    from its deadline, so a tick that fires a little early or late never moves one of a call's frames to the
    neighbouring tick, and the grid keeps its phase when the timer stops and starts again (either would
    jitter that call's chunks by a whole period)."""

    def __init__(self, clock: Clock, period: float = PERIOD) -> None:
        self.clock = clock
        self.period = period
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # (tick, order, future)
        self._order = itertools.count()
        self._ticker: asyncio.Task[None] | None = None
        self._origin: float | None = None  # tick 0, set at first use
        self._tick = 0  # the last tick fired
        self.ticks = 0  # timer wakes so far (for tests and benchmarks)
        self.skipped = 0  # ticks not fired because the loop was late (never fired in a burst)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def until(self, deadline: float) -> None:
        """Returns on the first tick at or after `deadline`: at once if that tick has fired. Decided by tick, not
        by comparing the deadline with the time: a tick that fired a little late must not let a frame due just
        after it leave on it (a whole period early)."""
        now = self.clock.now()
        loop = asyncio.get_running_loop()
        if self._origin is None:
            self._origin = now
        tick = math.ceil((deadline - self._origin) / self.period - _EPSILON)
        running = self._ticker is not None and not self._ticker.done() and self._ticker.get_loop() is loop
        if not running:
            self._tick = max(self._tick, math.floor((now - self._origin) / self.period + _EPSILON))
        if tick <= self._tick:
            return
        if not running:
            self._ticker = loop.create_task(self._run(), name="pacing-tick")
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiters, (tick, next(self._order), future))
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

    def _wake_through(self, tick: int) -> None:
        waiters = self._waiters
        while waiters and waiters[0][0] <= tick:
            future = heapq.heappop(waiters)[2]
            if not future.done():  # a cancelled player's future is skipped
                future.set_result(None)

    async def _run(self) -> None:
        """Ticks every `period` while anyone waits, then ends (an idle server holds no timer)."""
        origin = self._origin if self._origin is not None else self.clock.now()
        while self._waiters:
            await self.clock.sleep(origin + (self._tick + 1) * self.period - self.clock.now())
            current = math.floor((self.clock.now() - origin) / self.period + _EPSILON)
            current = max(self._tick + 1, current)  # late by whole periods: those ticks are not fired
            self.skipped += current - self._tick - 1
            self._tick = current
            self.ticks += 1
            self._wake_through(current)
            if not self._waiters:
                await asyncio.sleep(0)  # the players just woken wait again once they have sent their frame


_shared: weakref.WeakKeyDictionary[Clock, dict[float, PacingTick]] = weakref.WeakKeyDictionary()


def shared_tick(clock: Clock, period: float = PERIOD) -> PacingTick:
    """The one tick of `period` for everything that runs on `clock` (the server's clock: one per process):
    every call's player on the 20 ms tick, every call's duration and silence timers on a 100 ms one."""
    ticks = _shared.setdefault(clock, {})
    tick = ticks.get(period)
    if tick is None:
        tick = ticks[period] = PacingTick(clock, period)
    return tick
