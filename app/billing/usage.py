"""A call's usage, counted by the voice session as it runs and stored with the call when it ends.

The counter is plain integer arithmetic on events the session already handles (a caller turn sent to the
STT, a sentence sent to the TTS, an LLM reply, a tool call, the stored recording): nothing per audio frame.
LLM tokens come from the provider's own usage report when it gives one (OpenAI streaming with
`stream_options.include_usage`), else they are estimated (`llm_tokens_estimated`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

CHARS_PER_TOKEN = 4  # the usual rule of thumb for English text with GPT tokenizers


def estimate_tokens(texts: Iterable[str]) -> int:
    """Tokens of text when the provider does not say: ~4 characters a token, at least one per non-empty text."""
    return sum(max(1, math.ceil(len(text) / CHARS_PER_TOKEN)) for text in texts if text)


@dataclass(frozen=True)
class ProviderUse:
    """Which provider and model served a kind of usage (prices are per provider and model)."""

    provider: str = "offline"
    model: str = "*"


@dataclass(frozen=True)
class CallUsage:
    telephony_seconds: int = 0  # the call's connected duration; billed by the price table's rule
    stt_audio_seconds: float = 0.0  # caller audio sent to the STT
    tts_characters: int = 0  # characters sent to the TTS
    llm_input_tokens: int = 0
    llm_output_tokens: int = 0
    llm_tokens_estimated: bool = False  # True when some reply's tokens were counted here, not by the provider
    tool_calls: int = 0
    recording_bytes: int = 0
    providers: Mapping[str, ProviderUse] = field(default_factory=dict)  # "stt", "tts", "llm", "telephony"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["providers"] = {kind: asdict(use) for kind, use in self.providers.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CallUsage:
        data = dict(data or {})
        providers = {
            kind: ProviderUse(str(use.get("provider") or "offline"), str(use.get("model") or "*"))
            for kind, use in (data.pop("providers", None) or {}).items()
            if isinstance(use, Mapping)
        }
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data and name != "providers"}
        return cls(**known, providers=providers)


class UsageCounter:
    """The running count of one call; `tool_calls` is public so any tool runner can add to it."""

    def __init__(self, providers: Mapping[str, ProviderUse] | None = None) -> None:
        self.providers = dict(providers or {})
        self.stt_audio_seconds = 0.0
        self.tts_characters = 0
        self.llm_input_tokens = 0
        self.llm_output_tokens = 0
        self.llm_tokens_estimated = False
        self.tool_calls = 0
        self.recording_bytes = 0

    def stt_audio(self, pcm_bytes: int, rate: int) -> None:
        """PCM16 mono bytes handed to the STT for one turn."""
        self.stt_seconds(pcm_bytes / 2 / rate)

    def stt_seconds(self, seconds: float) -> None:
        self.stt_audio_seconds += seconds

    def tts_text(self, text: str) -> None:
        self.tts_characters += len(text)

    def llm_reply(self, input_tokens: int, output_tokens: int, *, estimated: bool) -> None:
        self.llm_input_tokens += input_tokens
        self.llm_output_tokens += output_tokens
        self.llm_tokens_estimated = self.llm_tokens_estimated or estimated

    def tool_call(self) -> None:
        self.tool_calls += 1

    def snapshot(self, telephony_seconds: int, recording_bytes: int | None = None) -> CallUsage:
        return CallUsage(
            telephony_seconds=max(0, int(telephony_seconds)),
            stt_audio_seconds=round(self.stt_audio_seconds, 2),
            tts_characters=self.tts_characters,
            llm_input_tokens=self.llm_input_tokens,
            llm_output_tokens=self.llm_output_tokens,
            llm_tokens_estimated=self.llm_tokens_estimated,
            tool_calls=self.tool_calls,
            recording_bytes=self.recording_bytes if recording_bytes is None else recording_bytes,
            providers=dict(self.providers),
        )
