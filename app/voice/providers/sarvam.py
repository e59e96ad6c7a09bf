"""Sarvam AI over REST: bulbul TTS (`POST /text-to-speech`) and saaras STT (`POST /speech-to-text`).

Requests go through the loop's pooled session (`http_session`), so connections are kept alive between
utterances. STT defaults to `saaras:v3` (`saarika:v2.5` is the legacy model)
in `transcribe` mode. Every TTS request names a speaker: the agent's, else the model's default for the
language (`sarvam_speaker`), so a voice never depends on the server's own default.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp

from app.voice.audio import frame_bytes, resample
from app.voice.providers.base import ProviderError, Transcript, Voice
from app.voice.providers.http_session import shared_session
from app.voice.providers.wav import pcm_to_wav, wav_to_pcm
from app.voice_catalog.catalog import default_speaker

SARVAM_LANGUAGES = {"bn", "en", "gu", "hi", "kn", "ml", "mr", "od", "pa", "ta", "te"}
BASE_URL = "https://api.sarvam.ai"
STT_MODEL = "saaras:v3"
FALLBACK_SPEAKER = "shubh"  # the API's documented default (bulbul:v3), for a model the catalog does not know


def sarvam_language(language: str | None) -> str:
    """Sarvam takes xx-IN codes; code-mixed hi-en goes as Hindi."""
    code = (language or "en-IN").split("-")[0].lower()
    return f"{code if code in SARVAM_LANGUAGES else 'en'}-IN"


def sarvam_speaker(voice: Voice, model: str) -> str:
    """The lower-case speaker to send: the voice's own, else `model`'s default for the voice's language."""
    if voice.speaker:
        return voice.speaker.lower()
    return default_speaker(model, sarvam_language(voice.language)) or FALLBACK_SPEAKER


async def _post(url: str, api_key: str, timeout: aiohttp.ClientTimeout, what: str, **body: Any) -> dict[str, Any]:
    """One REST call on the loop's pooled session; anything but a 200 is a `ProviderError` naming `what`."""
    async with shared_session().post(url, headers={"api-subscription-key": api_key}, timeout=timeout, **body) as answer:
        if answer.status != 200:
            raise ProviderError(f"Sarvam {what} answered {answer.status}: {(await answer.text())[:200]}")
        payload: dict[str, Any] = await answer.json()
    return payload


class SarvamTTS:
    CHUNK_MS = 200

    def __init__(self, api_key: str, base_url: str = BASE_URL, model: str = "bulbul:v2", timeout: float = 15.0) -> None:
        self.api_key, self.base_url, self.model = api_key, base_url.rstrip("/"), model
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncGenerator[bytes, None]:
        if not text.strip():
            return
        language = sarvam_language(voice.language)
        model = voice.model or self.model
        body = {
            "text": text,
            "target_language_code": language,
            "language_code": language,
            "model": model,
            "speaker": sarvam_speaker(voice, model),
            "speech_sample_rate": rate if rate in (8000, 16000, 24000) else 16000,
        }
        payload = await _post(f"{self.base_url}/text-to-speech", self.api_key, self.timeout, "TTS", json=body)
        audios = payload.get("audios") or []
        if not audios:
            raise ProviderError("Sarvam TTS answered no audio")
        for encoded in audios:
            pcm, source_rate = wav_to_pcm(base64.b64decode(encoded))
            pcm = resample(pcm, source_rate, rate)
            size = frame_bytes(rate, self.CHUNK_MS)
            for start in range(0, len(pcm), size):
                yield pcm[start : start + size]


class SarvamSTT:
    def __init__(self, api_key: str, base_url: str = BASE_URL, model: str = STT_MODEL, timeout: float = 15.0) -> None:
        self.api_key, self.base_url, self.model = api_key, base_url.rstrip("/"), model
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        if not pcm:
            return Transcript("", language)
        form = aiohttp.FormData()
        form.add_field("file", pcm_to_wav(pcm, rate), filename="utterance.wav", content_type="audio/wav")
        form.add_field("model", self.model)
        if self.model.startswith("saaras:"):
            form.add_field("mode", "transcribe")
        code = "unknown" if not language or language.lower() == "hi-en" else sarvam_language(language)
        form.add_field("language_code", code)
        payload = await _post(f"{self.base_url}/speech-to-text", self.api_key, self.timeout, "STT", data=form)
        return Transcript(
            str(payload.get("transcript") or ""), payload.get("language_code"), payload.get("language_probability")
        )
