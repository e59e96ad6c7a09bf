"""One agent reply's latency, built from the marks of its turn.

Stages are consecutive intervals between marks, so for a reply that went the whole way they add up to
`voice_to_voice_ms` (caller's last voiced frame -> first agent frame sent):

    endpoint_ms  last voiced frame -> endpoint decided (the endpointing silence)
    stt_ms       endpoint -> STT final
    queue_ms     STT final -> LLM request (our own work between them: the transcript write, scheduling)
    llm_ms       LLM request -> first token (time to first token)
    sentence_ms  first token -> first sentence ready
    tts_ms       first sentence -> TTS first audio
    send_ms      TTS first audio -> first frame sent to the carrier (the player's queue)

A stage whose marks are missing (a reply to a keypad digit has no endpoint, a failed LLM no first token)
is None and the sum no longer holds; `voice_to_voice_ms` is None when the turn had no endpoint or
no frame was ever sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from app.latency.marks import LatencyMark, MarkKind, TurnProviders

STAGES = ("endpoint_ms", "stt_ms", "queue_ms", "llm_ms", "sentence_ms", "tts_ms", "send_ms")
_BETWEEN_MARKS = (  # endpoint_ms runs from the ENDPOINT mark's `voiced_until` to the mark itself
    ("stt_ms", MarkKind.ENDPOINT, MarkKind.STT_FINAL),
    ("queue_ms", MarkKind.STT_FINAL, MarkKind.REPLY_STARTED),
    ("llm_ms", MarkKind.REPLY_STARTED, MarkKind.LLM_FIRST_TOKEN),
    ("sentence_ms", MarkKind.LLM_FIRST_TOKEN, MarkKind.FIRST_SENTENCE),
    ("tts_ms", MarkKind.FIRST_SENTENCE, MarkKind.TTS_FIRST_AUDIO),
    ("send_ms", MarkKind.TTS_FIRST_AUDIO, MarkKind.FIRST_FRAME_SENT),
)


@dataclass(frozen=True)
class TurnLatency:
    """Stored with the agent's transcript turn (`latency`), streamed live and observed as metrics."""

    voice_to_voice_ms: int | None
    endpoint_ms: int | None = None
    stt_ms: int | None = None
    queue_ms: int | None = None
    llm_ms: int | None = None
    sentence_ms: int | None = None
    tts_ms: int | None = None
    send_ms: int | None = None
    interrupted: bool = False
    heard_ms: int = 0
    spoken_ms: int = 0
    providers: TurnProviders = field(default_factory=TurnProviders)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TurnLatency:
        known = {name: data.get(name) for name in ("voice_to_voice_ms", *STAGES)}
        providers = data.get("providers") or {}
        return cls(
            **known,
            interrupted=bool(data.get("interrupted")),
            heard_ms=int(data.get("heard_ms") or 0),
            spoken_ms=int(data.get("spoken_ms") or 0),
            providers=TurnProviders(**{k: str(v) for k, v in providers.items() if k in ("stt", "llm", "tts")}),
        )


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


@dataclass
class _OpenTurn:
    marks: dict[MarkKind, float] = field(default_factory=dict)
    voiced_until: float | None = None


Sink = Callable[[TurnLatency], None]


class TurnLatencyRecorder:
    """Consumes a call's marks; `settled` answers the finished reply's `TurnLatency` (None for speech that was
    no reply to a caller turn: greeting, re-prompt). O(1) per mark and nothing per audio frame."""

    def __init__(self, providers: TurnProviders | None = None, sink: Sink | None = None) -> None:
        self.providers = providers or TurnProviders()
        self.turns: list[TurnLatency] = []
        self._sink = sink
        self._caller: _OpenTurn | None = None  # endpoint/STT marks waiting for their reply
        self._replies: dict[str, _OpenTurn] = {}  # by utterance

    def mark(self, mark: LatencyMark) -> TurnLatency | None:
        kind = mark.kind
        if kind == MarkKind.ENDPOINT:
            self._caller = _OpenTurn({kind: mark.at}, mark.voiced_until)
            return None
        if kind == MarkKind.NOISE:
            self._caller = None
            return None
        if kind == MarkKind.STT_FINAL:
            if self._caller is not None:
                self._caller.marks.setdefault(kind, mark.at)
            return None
        if mark.utterance is None:
            return None
        if kind == MarkKind.REPLY_STARTED:
            opened = self._caller or _OpenTurn()
            self._caller = None
            opened.marks[kind] = mark.at
            self._replies[mark.utterance] = opened
            return None
        turn = self._replies.get(mark.utterance)
        if turn is None:
            return None
        if kind != MarkKind.SETTLED:
            turn.marks.setdefault(kind, mark.at)
            return None
        del self._replies[mark.utterance]
        latency = self._finish(turn, mark)
        self.turns.append(latency)
        if self._sink is not None:
            self._sink(latency)
        return latency

    def _finish(self, turn: _OpenTurn, settled: LatencyMark) -> TurnLatency:
        marks = turn.marks
        ended = marks.get(MarkKind.ENDPOINT)
        stages: dict[str, int | None] = {
            "endpoint_ms": _ms(ended - turn.voiced_until)
            if ended is not None and turn.voiced_until is not None
            else None
        }
        for name, begin, end in _BETWEEN_MARKS:
            start, stop = marks.get(begin), marks.get(end)
            stages[name] = _ms(stop - start) if start is not None and stop is not None else None
        sent = marks.get(MarkKind.FIRST_FRAME_SENT)
        v2v = _ms(sent - turn.voiced_until) if sent is not None and turn.voiced_until is not None else None
        return TurnLatency(
            voice_to_voice_ms=v2v,
            **stages,
            interrupted=settled.interrupted,
            heard_ms=settled.heard_ms,
            spoken_ms=settled.spoken_ms,
            providers=self.providers,
        )
