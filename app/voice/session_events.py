"""What a call's parts report as it happens: typed events for observers (benchmarks, latency marks, usage).

`CallSession.observe(observer)` subscribes; every part emits through one `SessionEvents`. Observers are
called synchronously on the event loop, in order, and must not block; one that raises is logged and the call
goes on. Times are on the call clock (`Clock.now()`), so a fake clock gives reproducible marks.

The per-turn marks in order: `CallerSpeechStarted` -> `CallerTurnEnded` (end of speech) -> `TranscriptFinal`
(STT final) -> `LlmFirstToken` -> `SentenceReady` -> `TtsFirstAudio` -> `UtteranceSettled` (played or
interrupted, with how much was heard). `BargeIn` marks the `clear` sent for caller speech over the agent.
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


@dataclass(frozen=True)
class LlmFirstToken:
    at: float


@dataclass(frozen=True)
class SentenceReady:
    at: float
    utterance: str          # the utterance's mark name
    text: str


@dataclass(frozen=True)
class TtsFirstAudio:
    at: float
    utterance: str


@dataclass(frozen=True)
class UtteranceSettled:
    at: float
    utterance: str
    kind: str               # greeting, reply, reprompt, goodbye
    state: UtteranceState
    heard_text: str         # what the caller heard of it (all of it when played)


@dataclass(frozen=True)
class BargeIn:
    """Caller speech over agent audio that had left: `clear` was sent. `onset` is the speech's first frame."""

    onset: float
    cleared_at: float


SessionEvent = (CallerSpeechStarted | CallerTurnEnded | TranscriptFinal | LlmFirstToken | SentenceReady
                | TtsFirstAudio | UtteranceSettled | BargeIn)


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
