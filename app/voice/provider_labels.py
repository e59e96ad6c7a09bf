"""Provider objects to the bounded label set metrics and prices use (`sarvam`, `elevenlabs`, `openai`, ...).

By class name; a local fallback wrapper (`FallbackTTS`, `FallbackSTT`) is named for the primary it wraps.
Anything unknown (test doubles) is `other`, keeping the label cardinality fixed.
"""

from __future__ import annotations

from app.voice.providers.base import LanguageModel, SpeechToText, TextToSpeech
from app.voice.providers.fallback import FallbackSTT, FallbackTTS

LABELS = {
    "SarvamTTS": "sarvam",
    "SarvamStreamingTTS": "sarvam",
    "SarvamSTT": "sarvam",
    "SarvamStreamingSTT": "sarvam",
    "ElevenLabsTTS": "elevenlabs",
    "NextNeuralTTS": "nextneural",
    "OpenAICompatibleLLM": "openai",
    "EspeakTTS": "offline",
    "PocketsphinxSTT": "offline",
    "ScriptedPolicy": "offline",
}
Provider = SpeechToText | TextToSpeech | LanguageModel


def _unwrapped(provider: Provider) -> Provider:
    return provider.primary if isinstance(provider, (FallbackTTS, FallbackSTT)) else provider


def provider_label(provider: Provider) -> str:
    return LABELS.get(type(_unwrapped(provider)).__name__, "other")


def model_of(provider: Provider) -> str:
    """The model a provider was configured with, for model-specific prices; `*` when it does not say."""
    model = getattr(_unwrapped(provider), "model", None)  # a plain attribute of some providers, not a protocol
    return model if isinstance(model, str) and model else "*"
