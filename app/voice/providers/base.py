"""The three provider interfaces the call session talks to: STT, TTS and a streaming LLM."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


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


@dataclass(frozen=True)
class LLMUsage:
    """The provider's own token count for the reply (OpenAI: the last streamed chunk with `include_usage`)."""

    input_tokens: int
    output_tokens: int


LLMEvent = TextDelta | ToolCall | LLMUsage
Message = dict[str, Any]  # OpenAI chat message: {"role", "content", ...}


class SpeechToText(Protocol):
    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        """One finished caller utterance (PCM16 mono at `rate`) to text."""


class SpeechTurn(Protocol):
    """One caller turn streamed to the STT while it is spoken."""

    def push(self, pcm: bytes) -> None:
        """More of the turn's audio (PCM16 mono); never blocks the audio path."""

    async def finish(self) -> Transcript:
        """The turn is over: its final transcript."""

    def cancel(self) -> None:
        """It was noise: forget the turn (its transcript is discarded)."""


@runtime_checkable
class EndsEarly(Protocol):
    """A streamed turn that can send its final-transcript request without waiting for `finish()`: the turn
    listener calls `end()` in the audio path the moment the endpoint detector closes the turn, so the request
    does not wait for the turn loop to pick the turn up (pocketsphinx workers)."""

    def end(self) -> None:
        """No more audio: the final transcript is asked for now; `finish()` then only waits for it."""


@runtime_checkable
class PartialHypotheses(Protocol):
    """A streamed turn that also says what it has heard so far (pocketsphinx: updated every ~300 ms)."""

    @property
    def partial(self) -> str:
        """The hypothesis so far; reading it never waits."""


@runtime_checkable
class StreamingSpeechToText(SpeechToText, Protocol):
    """An STT that can listen during the turn (optional: check with `isinstance(stt, StreamingSpeechToText)`)."""

    def open_turn(self, rate: int, language: str | None) -> SpeechTurn:
        """Called when caller speech starts; frames follow through `push`."""


class TextToSpeech(Protocol):
    def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncGenerator[bytes, None]:
        """PCM16 mono at `rate`, streamed in chunks as the provider produces them. A generator, so a caller
        that stops early (barge-in, the fallback's first-byte timeout) closes it with `aclose()`."""


class LanguageModel(Protocol):
    def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        """Text deltas as they arrive, then any complete tool calls, and the reply's `LLMUsage` when the
        provider reports one (consumers that do not count usage skip it)."""


@runtime_checkable
class Closable(Protocol):
    """A provider that keeps connections (Sarvam WebSockets) and closes them at the end of the call."""

    async def aclose(self) -> None:
        """Close what the provider holds open; called once, when the call ends."""


class ProviderError(RuntimeError):
    """A provider failed (network, 4xx/5xx, bad payload); the session degrades instead of crashing."""

    permanent = False  # True: retrying cannot help (a voice the provider does not have); the breaker opens at once


@dataclass
class Providers:
    stt: SpeechToText
    tts: TextToSpeech
    llm: LanguageModel

    async def aclose(self) -> None:
        """End of the call: providers that keep connections (Sarvam WebSockets) close them."""
        for provider in (self.stt, self.tts, self.llm):
            if isinstance(provider, Closable):
                await provider.aclose()
