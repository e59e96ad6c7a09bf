"""In-memory stand-ins for the session's collaborators: reporter, transport output, clock and providers."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from app.calls.contract import CallAnalysis, CallCommand, CallEnd, CallStart, Speaker
from app.voice.audio import tone
from app.voice.providers.base import LLMEvent, Message, TextDelta, ToolCall, Transcript, Voice


async def settle(rounds: int = 40) -> None:
    """Let every ready task run until the loop is quiet (the fakes never block on real I/O)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class RecordingReporter:
    """Records what the session reports; tests push workflow commands into it."""

    _ids = itertools.count(1)

    def __init__(self) -> None:
        self.starts: list[CallStart] = []
        self.voices_heard: list[str] = []
        self.transcripts: list[tuple[str, Speaker, str, float]] = []
        self.latencies: list[Any] = []  # the TurnLatency of each measured agent reply
        self.statuses: list[tuple[str, str, dict[str, Any] | None]] = []
        self.ends: list[tuple[str, CallEnd]] = []
        self.analyses: list[tuple[str, CallAnalysis]] = []
        self._commands: asyncio.Queue[CallCommand] = asyncio.Queue()
        self.ended_event = asyncio.Event()

    async def started(self, start: CallStart) -> str:
        self.starts.append(start)
        return start.call_id or f"cal_test{next(self._ids)}"

    async def voice_heard(self, call_id: str) -> None:
        self.voices_heard.append(call_id)

    async def transcript(
        self, call_id: str, speaker: Speaker, text: str, timestamp: float, latency: Any = None
    ) -> None:
        self.transcripts.append((call_id, speaker, text, timestamp))
        if latency is not None:
            self.latencies.append(latency)

    async def status(self, call_id: str, status: str, details: dict[str, Any] | None = None) -> None:
        self.statuses.append((call_id, status, details))

    async def ended(self, call_id: str, end: CallEnd) -> None:
        self.ends.append((call_id, end))
        self.ended_event.set()

    async def analysed(self, call_id: str, analysis: CallAnalysis) -> None:
        self.analyses.append((call_id, analysis))

    async def commands(self, call_id: str) -> AsyncIterator[CallCommand]:
        while True:
            yield await self._commands.get()

    def push(self, command: CallCommand) -> None:
        self._commands.put_nowait(command)

    def said(self, speaker: Speaker) -> list[str]:
        return [text for _, who, text, _ in self.transcripts if who == speaker]


@dataclass
class FakeOutput:
    """The transport side: records frames and control with the (fake) time they were sent."""

    clock: Any
    ack_marks: bool = True
    session: Any = None
    log: list[tuple[float, str, Any]] = field(default_factory=list)

    async def send_audio(self, frame: bytes) -> None:
        self.log.append((self.clock.now(), "audio", frame))

    async def send_mark(self, name: str) -> None:
        self.log.append((self.clock.now(), "mark", name))
        if self.ack_marks and self.session is not None:
            self.session.mark_played(name)

    async def clear(self) -> None:
        self.log.append((self.clock.now(), "clear", None))

    async def send_transcript(self, speaker: Speaker, text: str, timestamp: float) -> None:
        self.log.append((self.clock.now(), "transcript", (speaker, text)))

    def count(self, kind: str) -> int:
        return sum(1 for _, k, _ in self.log if k == kind)

    def times(self, kind: str) -> list[float]:
        return [t for t, k, _ in self.log if k == kind]


class FakeClock:
    """Time moves only when the test advances it; sleepers wake in deadline order."""

    def __init__(self) -> None:
        self._now = 1000.0
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), future))
        await future

    async def advance(self, seconds: float) -> None:
        target = self._now + seconds
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target + 1e-9:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not future.done():
                future.set_result(None)
            await settle()
        self._now = max(self._now, target)  # a sleeper woken at target + float noise: time never runs backwards
        await settle()


class ScriptedSTT:
    """Hears what the test says it will hear, in order; silence or noise transcribe to ''."""

    def __init__(self) -> None:
        self.queue: list[str] = []
        self.heard: list[int] = []

    def expect(self, text: str) -> None:
        self.queue.append(text)

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        self.heard.append(len(pcm))
        return Transcript(self.queue.pop(0) if self.queue else "", language or "en-IN")


class StreamedTurn:
    """One turn as `StreamingSTT` hears it: `partial` grows with the audio pushed (stages), `finish` the last."""

    def __init__(self, stages: list[tuple[int, str]], rate: int) -> None:
        self._stages, self._rate, self.pushed = stages, rate, 0

    @property
    def partial(self) -> str:
        heard = [text for ms, text in self._stages if self.pushed * 1000 // (self._rate * 2) >= ms]
        return heard[-1] if heard else ""

    def push(self, pcm: bytes) -> None:
        self.pushed += len(pcm)

    async def finish(self) -> Transcript:
        return Transcript(self._stages[-1][1] if self._stages else "", "en-IN")

    def cancel(self) -> None:
        self.pushed = -1


class StreamingSTT(ScriptedSTT):
    """A streaming STT with partial words, scripted per turn: `expect_stages([(ms, partial), ...])` says what it
    has heard once that many ms of the turn's audio (pre-roll included) came in; the last stage is final."""

    def __init__(self, rate: int) -> None:
        super().__init__()
        self.rate = rate
        self.stages: list[list[tuple[int, str]]] = []
        self.turns: list[StreamedTurn] = []

    def expect_stages(self, stages: list[tuple[int, str]]) -> None:
        self.stages.append(stages)

    def open_turn(self, rate: int, language: str | None) -> StreamedTurn:
        turn = StreamedTurn(self.stages.pop(0) if self.stages else [], rate)
        self.turns.append(turn)
        return turn


class ToneTTS:
    """100 ms of tone per word, one chunk per word: instant, deterministic, audibly non-silent."""

    def __init__(self) -> None:
        self.spoken: list[str] = []

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncIterator[bytes]:
        self.spoken.append(text)
        for _ in text.split():
            await asyncio.sleep(0)
            yield tone(rate, 100, 500, 3000)


class GatedLLM:
    """Streams the given deltas one by one, each only when the test opens the gate (or all, if open)."""

    def __init__(self, deltas: list[str], tools: list[ToolCall] | None = None, gated: bool = False) -> None:
        self.deltas = deltas
        self.tools = tools or []
        self.gate = asyncio.Semaphore(0) if gated else None
        self.calls: list[list[Message]] = []
        self.cancelled = False

    def release(self, count: int = 1) -> None:
        for _ in range(count):
            self.gate.release()

    async def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        self.calls.append(messages)
        try:
            for delta in self.deltas:
                if self.gate is not None:
                    await self.gate.acquire()
                yield TextDelta(delta)
            for tool in self.tools:
                yield tool
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled = True
            raise
