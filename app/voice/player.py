"""The agent's mouth: plays queued utterances one at a time, paced in real time, pausable within a frame.

One player per call means the agent can never talk over itself. It sends a mark after each utterance and
settles the utterance as played when the transport returns the mark (or after `mark_timeout`).

`lead` is how far ahead of real time the player may run: a transport that sends in chunks (Exotel: 200 ms at
8 kHz) needs a whole chunk before anything leaves, so the first chunk goes out as soon as its audio exists
and the rest keeps the caller's side that much ahead, never more (a small buffer keeps `clear` quick).

Players wait on the process's shared `PacingTick` (one timer for every call) rather than a timer each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from app.voice.audio import FRAME_MS
from app.voice.clock import Clock
from app.voice.output import CallOutput
from app.voice.pacing import PacingTick, shared_tick
from app.voice.recording import StereoRecorder
from app.voice.utterance import Utterance, UtteranceState

FRAME = FRAME_MS / 1000
Settle = Callable[[Utterance, UtteranceState], Awaitable[None]]


class AudioPlayer:
    def __init__(
        self,
        output: CallOutput,
        clock: Clock,
        settle: Settle,
        mark_timeout: float,
        recorder: StereoRecorder | None = None,
        lead: float = 0.0,
        tick: PacingTick | None = None,
    ) -> None:
        self.output = output
        self.lead = lead
        self.clock = clock
        self.tick = tick if tick is not None else shared_tick(clock)
        self.recorder = recorder
        self._settle = settle
        self._mark_timeout = mark_timeout
        self._queue: asyncio.Queue[Utterance] = asyncio.Queue()
        self.pending: list[Utterance] = []  # queued or playing, not yet settled, in play order
        self.paused = False
        self._resumed = asyncio.Event()
        self._marks: set[str] = set()
        self.finished_at = clock.now()

    def enqueue(self, utterance: Utterance) -> None:
        self.pending.append(utterance)
        self._queue.put_nowait(utterance)

    def forget(self, utterance: Utterance) -> None:
        if utterance in self.pending:
            self.pending.remove(utterance)

    @property
    def audio_sent(self) -> bool:
        """Has any pending utterance already put audio on the line (so `clear` is needed)?"""
        return any(u.position for u in self.pending)

    def pause(self) -> None:
        self.paused = True
        self._resumed.clear()

    def resume(self) -> None:
        self.paused = False
        self._resumed.set()

    def mark_played(self, name: str) -> None:
        self._marks.add(name)

    async def run(self) -> None:
        while True:
            utterance = await self._queue.get()
            if not utterance.done:
                await self._play(utterance)
            self.finished_at = self.clock.now()

    async def _play(self, utterance: Utterance) -> None:
        next_at = self.clock.now()  # when the audio sent so far ends on the caller's side
        while utterance.state != UtteranceState.INTERRUPTED:
            if self.paused:
                await self._resumed.wait()
                next_at = self.clock.now()
                continue
            if utterance.position < len(utterance.frames):
                if utterance.state == UtteranceState.QUEUED:
                    utterance.state = UtteranceState.PLAYING
                    utterance.started_at = self.clock.now()
                frame = utterance.frames[utterance.position]
                utterance.position += 1
                await self.output.send_audio(frame)
                if self.recorder is not None:
                    self.recorder.agent(frame, self.clock.now())
                next_at += FRAME
                due = next_at - self.lead
                now = self.clock.now()
                if due > now - FRAME:
                    await self.tick.until(due)  # at once if its tick has fired
                else:
                    next_at = max(next_at, now - 5 * FRAME)  # catch up a little, never burst
            elif utterance.complete:
                break
            else:
                await utterance.wait_for_audio()
                next_at = max(next_at, self.clock.now())
        if utterance.state == UtteranceState.INTERRUPTED:
            return
        utterance.state = UtteranceState.SENT
        if utterance.position:
            await self.output.send_mark(utterance.mark)
            give_up = self.clock.now() + self._mark_timeout  # by the clock: tick wakes are quantised
            while (
                utterance.mark not in self._marks
                and self.clock.now() < give_up
                and utterance.state == UtteranceState.SENT
            ):
                await self.tick.until(self.clock.now() + FRAME)  # always the next tick or later
            self._marks.discard(utterance.mark)
        if utterance.state == UtteranceState.SENT:
            await self._settle(utterance, UtteranceState.PLAYED)
