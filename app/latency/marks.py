"""The moments of one agent turn, as typed marks the voice session emits (the recorder consumes them).

Times are seconds on the session's clock (monotonic). A mark that belongs to a reply names its utterance;
the caller-side marks (`ENDPOINT`, `STT_FINAL`) come before the reply exists and bind to the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class MarkKind(str, Enum):
    ENDPOINT = "endpoint"  # the endpoint detector closed the caller's turn
    STT_FINAL = "stt_final"  # the turn's final transcript arrived
    NOISE = "noise"  # ... and had no words: no reply will answer it
    REPLY_STARTED = "reply_started"  # the LLM request went out for this utterance
    LLM_FIRST_TOKEN = "llm_first_token"  # the first text delta arrived
    FIRST_SENTENCE = "first_sentence"  # the first whole sentence was ready for TTS
    TTS_FIRST_AUDIO = "tts_first_audio"  # the TTS returned the first audio of that sentence
    FIRST_FRAME_SENT = "first_frame_sent"  # the first agent frame left for the carrier
    SETTLED = "settled"  # played in full or interrupted: how much was heard


@dataclass(frozen=True)
class LatencyMark:
    kind: MarkKind
    at: float  # session clock, seconds
    utterance: str | None = None  # the reply's utterance (its mark name; reply marks only)
    voiced_until: float | None = None  # ENDPOINT: the caller's last voiced frame
    interrupted: bool = False  # SETTLED
    heard_ms: int = 0  # SETTLED: agent audio the caller heard
    spoken_ms: int = 0  # SETTLED: agent audio the reply had


@dataclass(frozen=True)
class TurnProviders:
    """Which providers answered the turn, as Prometheus labels (`sarvam`, `elevenlabs`, `openai`, `offline`)."""

    stt: str = "offline"
    llm: str = "offline"
    tts: str = "offline"
