"""What a call's parts report as it happens: typed events for observers (benchmarks, latency marks, usage).

`CallSession.observe(observer)` subscribes; every part emits through one `SessionEvents`. Observers are
called synchronously on the event loop, in order, and must not block; one that raises is logged and the call
goes on. Times are on the call clock (`Clock.now()`), so a fake clock gives reproducible marks.

The per-turn marks in order: `CallerSpeechStarted` -> `CallerTurnEnded` (end of speech) -> `TranscriptFinal`
(STT final) -> `ReplyStarted` (the LLM request) -> `LlmFirstToken` -> `SentenceReady` -> `TtsFirstAudio` ->
`UtteranceSettled` (played or interrupted, with how much was heard). `BargeIn` marks the `clear` sent for
caller speech over the agent. Usage rides on the same events plus `TtsRequested`, `LlmReplyFinished` and
`ToolCalled` (`app/voice/call_meter.py` counts them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from app.voice.utterance import UtteranceState

log = logging.getLogger("app.voice.session")


@dataclass(frozen=True)
class CallerSpeechStarted:
    at: float


@dataclass(frozen=True)
class CallerTurnEnded:
    """The endpointing window closed the caller's turn: the turn goes to the brain now."""

    at: float
    started_at: float


@dataclass(frozen=True)
class TranscriptFinal:
    at: float
    text: str
    language: str | None
    audio_seconds: float = 0.0  # the turn's audio the STT was given


@dataclass(frozen=True)
class ReplyStarted:
    """The LLM request for a reply goes out (its time to first token runs from here)."""

    at: float
    utterance: str


@dataclass(frozen=True)
class LlmFirstToken:
    at: float
    utterance: str = ""


@dataclass(frozen=True)
class LlmReplyFinished:
    """The LLM stream of a reply ended: the provider's token counts when it reported them (else None), and
    the characters sent and received, to count them by."""

    at: float
    utterance: str
    prompt_characters: int
    reply_characters: int
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class TtsRequested:
    at: float
    utterance: str
    characters: int


@dataclass(frozen=True)
class ToolCalled:
    at: float
    name: str


@dataclass(frozen=True)
class SentenceReady:
    at: float
    utterance: str  # the utterance's mark name
    text: str


@dataclass(frozen=True)
class TtsFirstAudio:
    at: float
    utterance: str


@dataclass(frozen=True)
class UtteranceSettled:
    at: float
    utterance: str
    kind: str  # greeting, reply, reprompt, goodbye
    state: UtteranceState
    heard_text: str  # what the caller heard of it (all of it when played)
    first_frame_at: float | None = None  # its first frame left for the carrier (None: nothing was sent)
    frames_sent: int = 0  # 20 ms frames sent before it settled
    frames: int = 0  # 20 ms frames it had by then


@dataclass(frozen=True)
class BargeIn:
    """Caller speech over agent audio that had left: `clear` was sent. `onset` is the speech's first frame."""

    onset: float
    cleared_at: float


@dataclass(frozen=True)
class PlayerRepaired:
    """The paused-player invariant broke (issue 13): after `after` the caller was quiet, nothing was queued and
    the player was still paused; it was resumed. Should never happen: counted in /metrics to show it does not."""

    at: float
    after: str


SessionEvent = (
    CallerSpeechStarted
    | CallerTurnEnded
    | TranscriptFinal
    | ReplyStarted
    | LlmFirstToken
    | LlmReplyFinished
    | SentenceReady
    | TtsRequested
    | TtsFirstAudio
    | UtteranceSettled
    | ToolCalled
    | BargeIn
    | PlayerRepaired
)


class SessionObserver(Protocol):
    def __call__(self, event: SessionEvent) -> None: ...


class SessionEvents:
    """The fan-out the parts emit into; costs one list check when nobody observes."""

    def __init__(self) -> None:
        self._observers: list[SessionObserver] = []

    def subscribe(self, observer: SessionObserver) -> None:
        self._observers.append(observer)

    def emit(self, event: SessionEvent) -> None:
        for observer in self._observers:
            try:
                observer(event)
            except Exception:
                log.exception("a session observer failed on %s", type(event).__name__)
