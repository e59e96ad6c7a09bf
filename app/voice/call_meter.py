"""One call's meter: the per-turn latency recorder and the usage counter, an observer of the session's events.

The session's parts already report each moment (`session_events`: a caller turn ended, the STT final, the LLM
request and its first token, a sentence, the TTS's first audio, an utterance settled); the meter turns them
into `LatencyMark`s and usage counts. Nothing here runs per audio frame: the first agent frame's time is the
utterance's own `started_at`, reported when it settles. A finished reply's latency is kept until its
transcript turn is written (`take`), so the latency rides in that one row update; `sink` (Prometheus) sees
it at once.
"""

from __future__ import annotations

from collections.abc import Callable

from app.billing.usage import CHARS_PER_TOKEN, CallUsage, ProviderUse, UsageCounter
from app.calls.contract import CallType
from app.latency.marks import LatencyMark, MarkKind, TurnProviders
from app.latency.summary import LatencySummary, summarise
from app.latency.turns import TurnLatency, TurnLatencyRecorder
from app.voice.audio import FRAME_MS
from app.voice.context import CallContext
from app.voice.provider_labels import model_of, provider_label
from app.voice.providers.base import Providers, Voice
from app.voice.session_events import (
    CallerTurnEnded,
    LlmFirstToken,
    LlmReplyFinished,
    ReplyStarted,
    SentenceReady,
    SessionEvent,
    ToolCalled,
    TranscriptFinal,
    TtsFirstAudio,
    TtsRequested,
    UtteranceSettled,
)
from app.voice.utterance import UtteranceState


def telephony_of(context: CallContext) -> str:
    """Who carries the call, for telephony prices: the browser test has no carrier."""
    return "browser" if context.call_type == CallType.TEST else "exotel"


def _tokens(characters: int) -> int:
    return -(-characters // CHARS_PER_TOKEN) if characters > 0 else 0


class CallMeter:
    def __init__(
        self,
        providers: Providers,
        voice: Voice,
        *,
        endpoint_ms: int,
        telephony: str = "*",
        sink: Callable[[TurnLatency], None] | None = None,
        record_latency: bool = True,
    ) -> None:
        labels = TurnProviders(
            stt=provider_label(providers.stt), llm=provider_label(providers.llm), tts=provider_label(providers.tts)
        )
        self.providers = labels
        self.endpoint_ms = endpoint_ms
        self.recording_latency = record_latency
        self.recorder = TurnLatencyRecorder(labels, sink)
        self.usage = UsageCounter(
            {
                "telephony": ProviderUse(telephony),
                "stt": ProviderUse(labels.stt, model_of(providers.stt)),
                "tts": ProviderUse(labels.tts, voice.model or model_of(providers.tts)),
                "llm": ProviderUse(labels.llm, model_of(providers.llm)),
            }
        )
        self._finished: dict[str, TurnLatency] = {}
        self._reply: str | None = None  # the reply whose LLM stream is running

    def __call__(self, event: SessionEvent) -> None:
        """The session observer: one `isinstance` chain per event, a few per turn, none per frame."""
        if isinstance(event, CallerTurnEnded):
            self.caller_turn_ended(event.at)
        elif isinstance(event, TranscriptFinal):
            self.transcript_final(event.at, event.audio_seconds, heard=bool(event.text))
        elif isinstance(event, ReplyStarted):
            self.reply_started(event.at, event.utterance)
        elif isinstance(event, LlmFirstToken):
            self.llm_first_token(event.at, event.utterance or None)
        elif isinstance(event, SentenceReady):
            self.sentence_ready(event.at, event.utterance)
        elif isinstance(event, TtsRequested):
            self.usage.tts_characters += event.characters
        elif isinstance(event, TtsFirstAudio):
            self.tts_first_audio(event.at, event.utterance)
        elif isinstance(event, LlmReplyFinished):
            self.llm_finished(event)
        elif isinstance(event, ToolCalled):
            self.usage.tool_call()
        elif isinstance(event, UtteranceSettled):
            self.utterance_settled(
                event.at,
                event.utterance,
                first_frame_at=event.first_frame_at,
                interrupted=event.state == UtteranceState.INTERRUPTED,
                frames_sent=event.frames_sent,
                frames=event.frames,
            )

    def _mark(self, mark: LatencyMark) -> TurnLatency | None:
        return self.recorder.mark(mark) if self.recording_latency else None

    # --- the caller's side ---------------------------------------------------------------------
    def caller_turn_ended(self, at: float, voiced_until: float | None = None) -> None:
        """The endpoint closed the turn; the caller's last voiced frame was `endpoint_ms` before unless said."""
        until = voiced_until if voiced_until is not None else at - self.endpoint_ms / 1000
        self._mark(LatencyMark(MarkKind.ENDPOINT, at, voiced_until=until))

    def transcript_final(self, at: float, audio_seconds: float, *, heard: bool = True) -> None:
        """`heard`: the turn had words (an empty one was noise: no reply follows it)."""
        self.usage.stt_seconds(audio_seconds)
        self._mark(LatencyMark(MarkKind.STT_FINAL, at) if heard else LatencyMark(MarkKind.NOISE, at))

    # --- the agent's reply ---------------------------------------------------------------------
    def reply_started(self, at: float, utterance: str) -> None:
        self._reply = utterance
        self._mark(LatencyMark(MarkKind.REPLY_STARTED, at, utterance))

    def llm_first_token(self, at: float, utterance: str | None = None) -> None:
        self._mark(LatencyMark(MarkKind.LLM_FIRST_TOKEN, at, utterance or self._reply))

    def llm_finished(self, finished: LlmReplyFinished) -> None:
        """The provider's token counts when it reported them, else counted from the characters."""
        if finished.input_tokens is not None and finished.output_tokens is not None:
            self.usage.llm_reply(finished.input_tokens, finished.output_tokens, estimated=False)
        else:
            self.usage.llm_reply(
                _tokens(finished.prompt_characters), _tokens(finished.reply_characters), estimated=True
            )

    def sentence_ready(self, at: float, utterance: str) -> None:
        self._mark(LatencyMark(MarkKind.FIRST_SENTENCE, at, utterance))

    def tts_first_audio(self, at: float, utterance: str) -> None:
        self._mark(LatencyMark(MarkKind.TTS_FIRST_AUDIO, at, utterance))

    def utterance_settled(
        self,
        at: float,
        utterance: str,
        *,
        first_frame_at: float | None,
        interrupted: bool,
        frames_sent: int,
        frames: int,
    ) -> TurnLatency | None:
        if first_frame_at is not None:
            self._mark(LatencyMark(MarkKind.FIRST_FRAME_SENT, first_frame_at, utterance))
        latency = self._mark(
            LatencyMark(
                MarkKind.SETTLED,
                at,
                utterance,
                interrupted=interrupted,
                heard_ms=frames_sent * FRAME_MS,
                spoken_ms=frames * FRAME_MS,
            )
        )
        if latency is not None:
            self._finished[utterance] = latency
        return latency

    def take(self, utterance: str) -> TurnLatency | None:
        """The settled reply's latency, once, for its transcript turn."""
        return self._finished.pop(utterance, None)

    # --- the end -------------------------------------------------------------------------------
    def totals(self, duration_seconds: int, recording_bytes: int = 0) -> tuple[CallUsage, LatencySummary | None]:
        summary = summarise(self.recorder.turns) if self.recording_latency else None
        return self.usage.snapshot(duration_seconds, recording_bytes), summary
