"""One call's meter: the per-turn latency recorder and the usage counter, fed by what the session reports.

The session's parts already know each moment (a caller turn ended, the STT final, the LLM's first token, a
sentence, the TTS's first audio, an utterance settled); the meter turns them into `LatencyMark`s and usage
counts. Nothing here runs per audio frame: the first agent frame's time is the utterance's own `started_at`,
read when it settles. A finished reply's latency is kept until its transcript turn is written (`take`), so
the latency rides in that one row update; `sink` (Prometheus) sees it at once.
"""

from __future__ import annotations

from typing import Callable

from app.billing.usage import CallUsage, ProviderUse, UsageCounter, estimate_tokens
from app.latency.marks import LatencyMark, MarkKind, TurnProviders
from app.latency.provider_labels import model_of, provider_label
from app.latency.summary import LatencySummary, summarise
from app.latency.turns import TurnLatency, TurnLatencyRecorder
from app.voice.audio import FRAME_MS
from app.voice.providers.base import Message, Providers, Voice


class CallMeter:
    def __init__(self, providers: Providers, voice: Voice, *, endpoint_ms: int, telephony: str = "*",
                 sink: Callable[[TurnLatency], None] | None = None, record_latency: bool = True) -> None:
        labels = TurnProviders(stt=provider_label(providers.stt), llm=provider_label(providers.llm),
                               tts=provider_label(providers.tts))
        self.providers = labels
        self.endpoint_ms = endpoint_ms
        self.recording_latency = record_latency
        self.recorder = TurnLatencyRecorder(labels, sink)
        self.usage = UsageCounter({
            "telephony": ProviderUse(telephony),
            "stt": ProviderUse(labels.stt, model_of(providers.stt)),
            "tts": ProviderUse(labels.tts, voice.model or model_of(providers.tts)),
            "llm": ProviderUse(labels.llm, model_of(providers.llm)),
        })
        self._finished: dict[str, TurnLatency] = {}
        self._reply: str | None = None            # the reply whose LLM stream is running
        self._reported_usage = False

    def _mark(self, mark: LatencyMark) -> TurnLatency | None:
        return self.recorder.mark(mark) if self.recording_latency else None

    # --- the caller's side ---------------------------------------------------------------------
    def caller_turn_ended(self, at: float, voiced_until: float | None = None) -> None:
        """The endpoint closed the turn; the caller's last voiced frame was `endpoint_ms` before unless said."""
        until = voiced_until if voiced_until is not None else at - self.endpoint_ms / 1000
        self._mark(LatencyMark(MarkKind.ENDPOINT, at, voiced_until=until))

    def transcript_final(self, at: float, pcm_bytes: int, rate: int) -> None:
        self.usage.stt_audio(pcm_bytes, rate)
        self._mark(LatencyMark(MarkKind.STT_FINAL, at))

    # --- the agent's reply ---------------------------------------------------------------------
    def reply_started(self, at: float, utterance: str) -> None:
        self._reply, self._reported_usage = utterance, False
        self._mark(LatencyMark(MarkKind.REPLY_STARTED, at, utterance))

    def llm_first_token(self, at: float, utterance: str | None = None) -> None:
        self._mark(LatencyMark(MarkKind.LLM_FIRST_TOKEN, at, utterance or self._reply))

    def llm_usage(self, input_tokens: int, output_tokens: int) -> None:
        """The provider's own count for the reply running now."""
        self._reported_usage = True
        self.usage.llm_reply(input_tokens, output_tokens, estimated=False)

    def llm_finished(self, messages: list[Message], reply_text: str) -> None:
        """The stream ended: count the reply's tokens here when the provider did not."""
        if not self._reported_usage:
            sent = [str(message.get("content") or "") for message in messages]
            self.usage.llm_reply(estimate_tokens(sent), estimate_tokens([reply_text]), estimated=True)
        self._reported_usage = True

    def sentence_ready(self, at: float, utterance: str) -> None:
        self._mark(LatencyMark(MarkKind.FIRST_SENTENCE, at, utterance))

    def tts_requested(self, text: str) -> None:
        self.usage.tts_text(text)

    def tts_first_audio(self, at: float, utterance: str) -> None:
        self._mark(LatencyMark(MarkKind.TTS_FIRST_AUDIO, at, utterance))

    def tool_called(self) -> None:
        self.usage.tool_call()

    def utterance_settled(self, at: float, utterance: str, *, first_frame_at: float | None, interrupted: bool,
                          frames_sent: int, frames: int) -> TurnLatency | None:
        if first_frame_at is not None:
            self._mark(LatencyMark(MarkKind.FIRST_FRAME_SENT, first_frame_at, utterance))
        latency = self._mark(LatencyMark(MarkKind.SETTLED, at, utterance, interrupted=interrupted,
                                         heard_ms=frames_sent * FRAME_MS, spoken_ms=frames * FRAME_MS))
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
