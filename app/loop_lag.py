"""Event-loop lag: how late the loop that carries every call's audio runs, and who made it late.

A ticker on the loop sleeps `interval` and measures how late it wakes (the lag any timer, frame or request
waited). A blocked loop cannot report on itself while blocked, so a watchdog thread checks the ticker's
heartbeat and, while a stall is still going on, samples the loop thread's stack (`sys._current_frames()`) and
its current task; the ticker then logs a stall over `stall` seconds naming them.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

log = logging.getLogger("app.loop_lag")

INTERVAL = 0.05  # the ticker's period
STALL = 0.1  # lag worth a warning
STACK_DEPTH = 4  # innermost frames named in the warning


@dataclass(frozen=True)
class Culprit:
    """What the loop thread was running while it was stalled, as the watchdog saw it."""

    task: str | None
    stack: tuple[str, ...]  # "file:line in function", outermost first

    def describe(self) -> str:
        where = " <- ".join(reversed(self.stack)) or "no Python frame"
        return f"task {self.task or '(none: a plain callback)'} at {where}"


class LoopLagMonitor:
    """Started and stopped by the app's lifespan on the loop it watches; `observe(seconds)` gets every lag."""

    def __init__(self, observe: Callable[[float], None], interval: float = INTERVAL, stall: float = STALL) -> None:
        self.interval = interval
        self.stall = stall
        self._observe = observe
        self._beat = 0.0  # when the ticker last went to sleep (monotonic)
        self._culprit: Culprit | None = None  # sampled by the watchdog during the current stall
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self.stalls = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._beat = time.monotonic()
        self._stopping.clear()
        self._task = self._loop.create_task(self._tick(), name="loop-lag-ticker")
        self._thread = threading.Thread(target=self._watch, name="loop-lag-watchdog", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._thread is not None:
            self._thread.join(timeout=1.0)  # it wakes on the event at once
        self._task = self._thread = None

    async def _tick(self) -> None:
        while True:
            self._beat = time.monotonic()
            await asyncio.sleep(self.interval)
            lag = max(0.0, time.monotonic() - self._beat - self.interval)
            culprit, self._culprit = self._culprit, None
            self._observe(lag)
            if lag >= self.stall:
                self.stalls += 1
                log.warning(
                    "event loop stalled for %.0f ms: %s",
                    lag * 1000,
                    culprit.describe() if culprit else "not sampled (the watchdog did not run during it)",
                )

    def _watch(self) -> None:
        """The watchdog: samples the loop thread once per stall, half a threshold into it (polling every half
        threshold: a stall that reaches the threshold is always seen while it lasts)."""
        sampled_beat = None
        while not self._stopping.wait(self.stall / 2):
            beat = self._beat
            if beat != sampled_beat and time.monotonic() - beat > self.interval + self.stall / 2:
                sampled_beat = beat
                self._culprit = self._sample()

    def _sample(self) -> Culprit | None:
        frame = sys._current_frames().get(self._loop_thread)
        if frame is None:
            return None
        task = asyncio.current_task(self._loop) if self._loop is not None else None
        stack = tuple(
            f"{_short(entry.filename)}:{entry.lineno} in {entry.name}"
            for entry in traceback.extract_stack(frame, limit=STACK_DEPTH)
        )
        return Culprit(task.get_name() if task is not None else None, stack)


def _short(filename: str) -> str:
    """The last three parts of a path: enough to find the module, short enough for a log line."""
    return str(PurePath(*PurePath(filename).parts[-3:]))
