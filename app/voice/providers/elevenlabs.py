"""ElevenLabs streaming TTS: raw PCM chunks forwarded as they arrive (first audio before synthesis ends)."""

from __future__ import annotations

from typing import AsyncIterator

import aiohttp

from app.voice.audio import SampleAligner, resample
from app.voice.providers.base import ProviderError, Voice

BASE_URL = "https://api.elevenlabs.io"
PCM_RATES = (8000, 16000, 22050, 24000)


class ElevenLabsTTS:
    def __init__(self, api_key: str, base_url: str = BASE_URL, model: str = "eleven_multilingual_v2",
                 voice_id: str = "21m00Tcm4TlvDq8ikWAM", timeout: float = 15.0) -> None:
        self.api_key, self.base_url, self.model, self.voice_id = api_key, base_url.rstrip("/"), model, voice_id
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncIterator[bytes]:
        if not text.strip():
            return
        source_rate = rate if rate in PCM_RATES else 16000
        body = {"text": text, "model_id": voice.model or self.model}
        if voice.language:
            body["language_code"] = voice.language.split("-")[0].lower()
        url = f"{self.base_url}/v1/text-to-speech/{voice.speaker or self.voice_id}/stream"
        params = {"output_format": f"pcm_{source_rate}", "optimize_streaming_latency": "3"}
        async with aiohttp.ClientSession(timeout=self.timeout) as http:
            async with http.post(url, json=body, params=params, headers={"xi-api-key": self.api_key}) as answer:
                if answer.status != 200:
                    raise ProviderError(f"ElevenLabs answered {answer.status}: {(await answer.text())[:200]}")
                samples = SampleAligner()
                async for data in answer.content.iter_any():
                    if pcm := samples.push(data):
                        yield resample(pcm, source_rate, rate)
