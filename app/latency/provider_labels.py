"""Provider objects to the bounded label set metrics and prices use (`sarvam`, `elevenlabs`, `openai`, ...).

By class name, so this package needs nothing from the voice package; a wrapper (the local fallback) is
named for what it wraps. Anything unknown (test doubles) is `other`, keeping label cardinality fixed.
"""

from __future__ import annotations

from typing import Any

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
WRAPPED = ("primary", "_primary", "inner", "_inner")  # attributes a wrapping provider keeps its primary in


def provider_label(provider: Any) -> str:
    for _ in range(3):
        label = LABELS.get(type(provider).__name__)
        if label is not None:
            return label
        inner = next((getattr(provider, name) for name in WRAPPED if hasattr(provider, name)), None)
        if inner is None:
            break
        provider = inner
    return "other"


def model_of(provider: Any) -> str:
    """The model a provider was configured with, for model-specific prices; `*` when it does not say."""
    for _ in range(3):
        model = getattr(provider, "model", None)
        if isinstance(model, str) and model:
            return model
        provider = next((getattr(provider, name) for name in WRAPPED if hasattr(provider, name)), None)
        if provider is None:
            break
    return "*"
