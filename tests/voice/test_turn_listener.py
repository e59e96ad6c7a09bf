"""The final-transcript request of a streamed turn leaves in the audio path, as the endpoint detector closes the
turn (inside `CallSession.feed`), not when the turn loop gets round to `finish()` (issue 13 leftover)."""

from __future__ import annotations

from app.voice.providers.base import Transcript
from app.voice.providers.listening import TurnListener
from tests.voice.harness import RATE, Call


class RecordingTurn:
    def __init__(self, call: Call) -> None:
        self.call = call
        self.log: list[str] = []
        self.queued_at_end: int | None = None

    def push(self, pcm: bytes) -> None:
        if not self.log or self.log[-1] != "push":
            self.log.append("push")

    def end(self) -> None:
        self.log.append("end")
        self.queued_at_end = self.call.session.inbox.qsize()

    async def finish(self) -> Transcript:
        self.log.append("finish")
        return Transcript("do you deliver to mumbai", "en-IN")

    def cancel(self) -> None:
        self.log.append("cancel")


class StreamingFake:
    def __init__(self, call: Call) -> None:
        self.call = call
        self.turns: list[RecordingTurn] = []

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        return Transcript("", language)

    def open_turn(self, rate: int, language: str | None) -> RecordingTurn:
        self.turns.append(RecordingTurn(self.call))
        return self.turns[-1]


async def test_the_turn_asks_for_its_transcript_as_the_endpoint_closes_it_before_the_turn_loop_finishes_it():
    call = Call.make()
    stt = StreamingFake(call)
    call.session.listener = TurnListener(stt, RATE, "en-IN")
    await call.start()
    await call.agent_quiet()
    await call.say("Do you deliver to Mumbai?")
    await call.agent_quiet()
    [turn] = stt.turns
    assert turn.log == ["push", "end", "finish"]
    assert turn.queued_at_end == 0  # asked while feed() was closing the turn: not yet in the turn loop's inbox
    assert call.agent_said()[-1]  # and the turn was answered


def test_a_turn_without_an_early_end_is_left_to_finish():
    class Plain:
        def push(self, pcm: bytes) -> None: ...
        async def finish(self) -> Transcript:
            return Transcript("", None)

        def cancel(self) -> None: ...

    class PlainSTT:
        async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
            return Transcript("", language)

        def open_turn(self, rate: int, language: str | None) -> Plain:
            return Plain()

    listener = TurnListener(PlainSTT(), RATE, None)
    listener.speech_started()
    assert isinstance(listener.turn_ended(), Plain)
