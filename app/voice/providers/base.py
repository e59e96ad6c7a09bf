"""The three provider interfaces the call session talks to: STT, TTS and a streaming LLM."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Protocol, Union


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Voice:
    """Which voice speaks: provider-specific speaker/model plus the language to speak."""

    language: str = "en-IN"
    speaker: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


LLMEvent = Union[TextDelta, ToolCall]
Message = dict[str, Any]  # OpenAI chat message: {"role", "content", ...}


class SpeechToText(Protocol):
    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        """One finished caller utterance (PCM16 mono at `rate`) to text."""


class TextToSpeech(Protocol):
    def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncIterator[bytes]:
        """PCM16 mono at `rate`, streamed in chunks as the provider produces them."""


class LanguageModel(Protocol):
    def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        """Text deltas as they arrive, then any complete tool calls."""


class ProviderError(RuntimeError):
    """A provider failed (network, 4xx/5xx, bad payload); the session degrades instead of crashing."""


@dataclass
class Providers:
    stt: SpeechToText
    tts: TextToSpeech
    llm: LanguageModel
