"""A loopback ElevenLabs server: `POST /v1/text-to-speech/{voice_id}/stream` answers raw PCM in several
chunked writes (like the real streaming endpoint), checking `xi-api-key` and `output_format`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from app.voice.audio import tone
from tests.fakes.loopback import serve


@dataclass
class FakeElevenLabs:
    key: str = "xi_test"
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> "FakeElevenLabs":
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
        self.requests.append({"voice_id": request.match_info["voice_id"], "output_format": output, **body})
        if not output.startswith("pcm_"):
            return web.json_response({"detail": "only pcm in the fake"}, status=400)
        rate = int(output.split("_")[1])
        pcm = tone(rate, 100 * len(body["text"].split()), 440, 5000)
        response = web.StreamResponse(headers={"Content-Type": "audio/pcm"})
        await response.prepare(request)
        step = 1001  # odd sizes: the client must keep samples whole across chunks
        for start in range(0, len(pcm), step):
            await response.write(pcm[start:start + step])
            await asyncio.sleep(0)
        await response.write_eof()
        return response
