"""A loopback ElevenLabs server: `POST /v1/text-to-speech/{voice_id}/stream` answers raw PCM in several
chunked writes (like the real streaming endpoint), checking `xi-api-key` and `output_format`. Like the real
service it answers 404 for a retired premade voice id (and any id in `missing_voices`) and 400 for a
`language_code` sent to a model that does not take one (`eleven_multilingual_v2`, v1 and v2 models)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from app.voice.audio import tone
from app.voice_catalog.catalog import RETIRED_ELEVENLABS_VOICES
from tests.fakes.loopback import serve

# Models that refuse `language_code` (the flash/turbo v2.5 family and later accept it).
NO_LANGUAGE_CODE = frozenset(
    {
        "eleven_multilingual_v2",
        "eleven_multilingual_v1",
        "eleven_monolingual_v1",
        "eleven_turbo_v2",
        "eleven_flash_v2",
        "eleven_english_sts_v2",
    }
)


@dataclass
class FakeElevenLabs:
    key: str = "xi_test"
    requests: list[dict[str, Any]] = field(default_factory=list)
    missing_voices: set[str] = field(default_factory=set)  # answered 404 besides the retired premade voices
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeElevenLabs:
        app = web.Application()
        app.router.add_post("/v1/text-to-speech/{voice_id}/stream", self._stream)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("xi-api-key") != self.key:
            return web.json_response({"detail": {"status": "invalid_api_key"}}, status=401)
        body = await request.json()
        output = request.query.get("output_format", "mp3_44100_128")
        voice_id = request.match_info["voice_id"]
        self.requests.append({"voice_id": voice_id, "output_format": output, **body})
        if voice_id in RETIRED_ELEVENLABS_VOICES or voice_id in self.missing_voices:
            return web.json_response(
                {
                    "detail": {
                        "status": "voice_not_found",
                        "message": f"A voice with voice_id {voice_id} was not found.",
                    }
                },
                status=404,
            )
        if "language_code" in body and body.get("model_id", "eleven_multilingual_v2") in NO_LANGUAGE_CODE:
            return web.json_response(
                {
                    "detail": {
                        "status": "unsupported_language_code",
                        "message": f"Model '{body.get('model_id')}' does not support language_code",
                    }
                },
                status=400,
            )
        if not output.startswith("pcm_"):
            return web.json_response({"detail": "only pcm in the fake"}, status=400)
        rate = int(output.split("_")[1])
        pcm = tone(rate, 100 * len(body["text"].split()), 440, 5000)
        response = web.StreamResponse(headers={"Content-Type": "audio/pcm"})
        await response.prepare(request)
        step = 1001  # odd sizes: the client must keep samples whole across chunks
        for start in range(0, len(pcm), step):
            await response.write(pcm[start : start + step])
            await asyncio.sleep(0)
        await response.write_eof()
        return response
