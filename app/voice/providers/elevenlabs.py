"""ElevenLabs streaming TTS: raw PCM chunks forwarded as they arrive (first audio before synthesis ends).

Protocol facts kept here (../shared/protocols.md, "ElevenLabs"): the voice id is in the path and a voice
ElevenLabs does not have (the retired legacy premade voices, another account's voice) answers 404, raised as
`VoiceNotFound` so the fallback can say which voice is missing; `language_code` is accepted only by the
flash/turbo v2.5 models and later (`eleven_multilingual_v2` rejects it), so it is sent only to those.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator

import aiohttp

from app.voice.audio import SampleAligner, resample
from app.voice.providers.base import ProviderError, Voice
from app.voice.providers.http_session import shared_session
from app.voice_catalog.catalog import ELEVENLABS_DEFAULT_VOICE

BASE_URL = "https://api.elevenlabs.io"
DEFAULT_MODEL = "eleven_multilingual_v2"
PCM_RATES = (8000, 16000, 22050, 24000)
_MODEL_VERSION = re.compile(r"_v(\d+)(?:_(\d+))?$")


class VoiceNotFound(ProviderError):
    """ElevenLabs has no such voice (404): every sentence in it will fail the same way."""

    permanent = True

    def __init__(self, voice_id: str, detail: str) -> None:
        super().__init__(
            f"ElevenLabs has no voice {voice_id!r} (404: {detail}); it may be a retired premade "
            "voice: choose a current one for the agent or set VOICEAI_ELEVENLABS_DEFAULT_VOICE"
        )
        self.voice_id = voice_id


def accepts_language_code(model: str) -> bool:
    """flash/turbo v2.5 and every later model take `language_code`; v1, v2 and multilingual_v2 refuse it."""
    found = _MODEL_VERSION.search(model.strip().lower())
    if found is None:
        return False
    return (int(found.group(1)), int(found.group(2) or 0)) >= (2, 5)


class ElevenLabsTTS:
    def __init__(
        self,
        api_key: str,
        base_url: str = BASE_URL,
        model: str = DEFAULT_MODEL,
        voice_id: str = ELEVENLABS_DEFAULT_VOICE,
        timeout: float = 15.0,
    ) -> None:
        self.api_key, self.base_url, self.model, self.voice_id = api_key, base_url.rstrip("/"), model, voice_id
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncGenerator[bytes, None]:
        if not text.strip():
            return
        source_rate = rate if rate in PCM_RATES else 16000
        model = voice.model or self.model
        voice_id = voice.speaker or self.voice_id
        body = {"text": text, "model_id": model}
        if voice.language and accepts_language_code(model):
            body["language_code"] = voice.language.split("-")[0].lower()
        url = f"{self.base_url}/v1/text-to-speech/{voice_id}/stream"
        params = {"output_format": f"pcm_{source_rate}", "optimize_streaming_latency": "3"}
        headers = {"xi-api-key": self.api_key}
        async with shared_session().post(
            url, json=body, params=params, headers=headers, timeout=self.timeout
        ) as answer:
            if answer.status == 404:
                raise VoiceNotFound(voice_id, (await answer.text())[:200])
            if answer.status != 200:
                raise ProviderError(f"ElevenLabs answered {answer.status}: {(await answer.text())[:200]}")
            samples = SampleAligner()
            async for data in answer.content.iter_any():
                if pcm := samples.push(data):
                    yield resample(pcm, source_rate, rate)
