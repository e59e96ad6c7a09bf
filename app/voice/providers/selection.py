"""Which providers a call uses: the agent's voice_config plus configured keys; local ones without keys.

Keys are read once from `Settings.extra` (names below) into `VoiceKeys`; the organisation's Sarvam
integration key arrives on the call context (`CallContext.sarvam_api_key`) and wins over the setting. No key at
all: everything runs offline.
Sarvam speaks over REST unless streaming is on: `VOICEAI_SARVAM_STREAMING=on` for every call, or the flow
config's `sarvam_streaming` (true/false) for one flow. A `nextneural` voice goes to the voice server when
`VOICEAI_NEXTNEURAL_URL` is set (the speaker's own deployment decides, espeak-ng otherwise).
An ElevenLabs agent without a speaker speaks with `VOICEAI_ELEVENLABS_DEFAULT_VOICE` (a current premade voice
by default).
`providers(context)` puts every remote TTS/STT behind the local one (`fallback.py`: espeak-ng speaks a
sentence the remote TTS failed to start within `VOICEAI_TTS_FIRST_BYTE_SECONDS`, pocketsphinx hears a turn the
remote STT failed on); `tts()`/`stt()` answer the bare choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.config import parse_flag
from app.voice.context import CallContext
from app.voice.providers.base import LanguageModel, Providers, SpeechToText, TextToSpeech
from app.voice.providers.espeak_tts import EspeakTTS
from app.voice.providers.fallback import FallbackCounter, FallbackTTS, with_local_stt
from app.voice.providers.pocketsphinx_stt import PocketsphinxSTT
from app.voice_catalog.catalog import ELEVENLABS_DEFAULT_VOICE

# Remote provider classes by the name their fallbacks are counted under.
PROVIDER_NAMES = {
    "SarvamTTS": "sarvam",
    "SarvamStreamingTTS": "sarvam",
    "SarvamSTT": "sarvam",
    "SarvamStreamingSTT": "sarvam",
    "ElevenLabsTTS": "elevenlabs",
    "NextNeuralTTS": "nextneural",
}


@dataclass(frozen=True)
class VoiceKeys:
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    sarvam_api_key: str | None = None
    sarvam_base_url: str = "https://api.sarvam.ai"
    elevenlabs_api_key: str | None = None
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    elevenlabs_default_voice: str = ELEVENLABS_DEFAULT_VOICE
    sarvam_streaming: bool = False
    nextneural_url: str | None = None
    tts_first_byte_seconds: float = 2.0

    @classmethod
    def from_settings(cls, settings: Any) -> VoiceKeys:
        extra = getattr(settings, "extra", None) or {}
        get = extra.get
        return cls(
            openai_api_key=get("VOICEAI_LLM_API_KEY") or None,
            openai_base_url=get("VOICEAI_LLM_BASE_URL") or None,
            llm_model=get("VOICEAI_LLM_MODEL") or cls.llm_model,
            sarvam_api_key=get("VOICEAI_SARVAM_API_KEY") or None,
            sarvam_base_url=get("VOICEAI_SARVAM_BASE_URL") or cls.sarvam_base_url,
            elevenlabs_api_key=get("VOICEAI_ELEVENLABS_API_KEY") or None,
            elevenlabs_base_url=get("VOICEAI_ELEVENLABS_BASE_URL") or cls.elevenlabs_base_url,
            elevenlabs_default_voice=(get("VOICEAI_ELEVENLABS_DEFAULT_VOICE") or "").strip()
            or cls.elevenlabs_default_voice,
            sarvam_streaming=parse_flag(get("VOICEAI_SARVAM_STREAMING") or "off", "VOICEAI_SARVAM_STREAMING"),
            nextneural_url=getattr(settings, "nextneural_url", None) or None,
            tts_first_byte_seconds=getattr(settings, "tts_first_byte_seconds", None) or cls.tts_first_byte_seconds,
        )


def call_label(context: CallContext) -> str | None:
    """How log lines name the call before it has a row id: ours (outbound), else the carrier's."""
    return context.call_id or context.provider_call_id


class ProviderSelector:
    """`metrics` (an `app.metrics.Metrics`, optional) counts the fallbacks to local providers."""

    def __init__(self, settings: Any = None, keys: VoiceKeys | None = None, metrics: Any = None) -> None:
        self.keys = keys or VoiceKeys.from_settings(settings)
        self.metrics = metrics

    def providers(self, context: CallContext) -> Providers:
        """One call's providers; a remote TTS/STT with its own per-call fallback to the local one."""
        return Providers(
            stt=self.with_fallback_stt(self.stt(context)),
            tts=self.with_fallback_tts(self.tts(context), call_label(context)),
            llm=self.llm(context),
        )

    def with_fallback_tts(self, tts: TextToSpeech, call: str | None = None) -> TextToSpeech:
        if isinstance(tts, EspeakTTS):
            return tts
        name = PROVIDER_NAMES.get(type(tts).__name__, type(tts).__name__)
        return FallbackTTS(
            tts, EspeakTTS(), name, self.keys.tts_first_byte_seconds, count=self._counter("tts", name), call=call
        )

    def with_fallback_stt(self, stt: SpeechToText) -> SpeechToText:
        if isinstance(stt, PocketsphinxSTT):
            return stt
        name = PROVIDER_NAMES.get(type(stt).__name__, type(stt).__name__)
        return with_local_stt(stt, PocketsphinxSTT(), name, count=self._counter("stt", name))

    def _counter(self, kind: str, provider: str) -> FallbackCounter | None:
        if self.metrics is None:
            return None
        counter = self.metrics.provider_fallbacks
        return lambda reason: counter.labels(kind, provider, reason).inc()

    def llm(self, context: CallContext) -> LanguageModel:
        if self.keys.openai_api_key:
            from app.voice.providers.openai_llm import OpenAICompatibleLLM

            return OpenAICompatibleLLM(self.keys.openai_api_key, self.keys.llm_model, self.keys.openai_base_url)
        from app.voice.providers.scripted_llm import ScriptedPolicy

        return ScriptedPolicy.for_call(context)

    def sarvam_streaming(self, context: CallContext) -> bool:
        """The flow's config decides, then the organisation's Sarvam integration, then the setting."""
        for chosen in (context.flow_config.get("sarvam_streaming"), context.sarvam_streaming):
            if isinstance(chosen, bool):
                return chosen
        return self.keys.sarvam_streaming

    def tts(self, context: CallContext) -> TextToSpeech:
        provider = (context.voice.provider or "").lower()
        sarvam_key = context.sarvam_api_key or self.keys.sarvam_api_key
        if provider == "sarvam" and sarvam_key:
            if self.sarvam_streaming(context):
                from app.voice.providers.sarvam_ws_tts import SarvamStreamingTTS

                return SarvamStreamingTTS(sarvam_key, self.keys.sarvam_base_url)
            from app.voice.providers.sarvam import SarvamTTS

            return SarvamTTS(sarvam_key, self.keys.sarvam_base_url)
        if provider == "elevenlabs" and self.keys.elevenlabs_api_key:
            from app.voice.providers.elevenlabs import ElevenLabsTTS

            return ElevenLabsTTS(
                self.keys.elevenlabs_api_key, self.keys.elevenlabs_base_url, voice_id=self.keys.elevenlabs_default_voice
            )
        if provider == "nextneural" and self.keys.nextneural_url:
            from app.voice.providers.nextneural_tts import NextNeuralTTS

            return NextNeuralTTS(self.keys.nextneural_url, context.organisation_id, fallback=EspeakTTS())
        return EspeakTTS()

    def stt(self, context: CallContext) -> SpeechToText:
        sarvam_key = context.sarvam_api_key or self.keys.sarvam_api_key
        if sarvam_key and self.sarvam_streaming(context):
            from app.voice.providers.sarvam_ws_stt import SarvamStreamingSTT

            return SarvamStreamingSTT(sarvam_key, self.keys.sarvam_base_url)
        if sarvam_key:
            from app.voice.providers.sarvam import SarvamSTT

            return SarvamSTT(sarvam_key, self.keys.sarvam_base_url)
        return PocketsphinxSTT()
