"""The platform's own voices: an organisation's cloned speaker, deployed on the NextNeural voice server, is
spoken by that server (`POST /v1/speakers/{speaker_id}/synthesize`, raw PCM streamed back; protocol in
docs/custom-voices.md). Anything the server does not voice (built-in `nn-…` speakers, speakers built by the
local stand-in, undeployed ones) goes to the fallback TTS (espeak-ng).

Errors (404 speaker not on the server, 5xx, timeouts, transport failures) are `ProviderError`s, handled by
the session like any other TTS failure.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

import aiohttp

from app.voice.audio import SampleAligner, resample
from app.voice.providers.base import ProviderError, TextToSpeech, Voice
from app.voice.providers.http_session import shared_session
from app.voice_catalog.nextneural import SYNTHESIS_RATES, server_speaker_id

SpeakerLookup = Callable[[str, str], Awaitable[str | None]]


class NextNeuralTTS:
    def __init__(
        self,
        base_url: str,
        organisation_id: str,
        fallback: TextToSpeech,
        lookup: SpeakerLookup = server_speaker_id,
        timeout: float = 15.0,
    ) -> None:
        self.base_url, self.organisation_id = base_url.rstrip("/"), organisation_id
        self.fallback, self.lookup = fallback, lookup
        self.timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        self._speakers: dict[str, str | None] = {}  # speaker name -> server id, looked up once per call

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncGenerator[bytes, None]:
        if not text.strip():
            return
        speaker_id = await self._server_speaker(voice.speaker)
        if speaker_id is None:
            async for chunk in self.fallback.synthesize(text, voice, rate):
                yield chunk
            return
        source_rate = rate if rate in SYNTHESIS_RATES else 16000
        body = {"text": text, "language": voice.language, "sample_rate": source_rate}
        url = f"{self.base_url}/v1/speakers/{speaker_id}/synthesize"
        try:
            async with shared_session().post(url, json=body, timeout=self.timeout) as answer:
                if answer.status == 404:
                    raise ProviderError(f"nextneural voice server does not have speaker {speaker_id} deployed")
                if answer.status != 200:
                    raise ProviderError(
                        f"nextneural voice server answered {answer.status}: {(await answer.text())[:200]}"
                    )
                served_rate = int(answer.headers.get("X-Sample-Rate") or source_rate)
                samples = SampleAligner()
                async for data in answer.content.iter_any():
                    if pcm := samples.push(data):
                        yield resample(pcm, served_rate, rate)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise ProviderError(f"nextneural voice server failed: {error.__class__.__name__}") from None

    async def _server_speaker(self, name: str | None) -> str | None:
        if not name:
            return None
        if name not in self._speakers:
            self._speakers[name] = await self.lookup(self.organisation_id, name)
        return self._speakers[name]
