"""A loopback Sarvam REST server: `POST /text-to-speech` answers base64 WAVs, `POST /speech-to-text` takes a
multipart WAV; both check the `api-subscription-key` header and record what they got."""

from __future__ import annotations

import base64
import io
import wave
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from app.voice.audio import tone
from tests.fakes.loopback import serve


def wav_bytes(pcm: bytes, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


@dataclass
class FakeSarvam:
    key: str = "sk_test"
    transcript: str = "namaste"
    language_code: str = "hi-IN"
    tts_requests: list[dict[str, Any]] = field(default_factory=list)
    stt_requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> "FakeSarvam":
        app = web.Application()
        app.router.add_post("/text-to-speech", self._tts)
        app.router.add_post("/speech-to-text", self._stt)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()

    def _denied(self, request: web.Request) -> web.Response | None:
        if request.headers.get("api-subscription-key") != self.key:
            return web.json_response({"error": {"message": "Invalid API key"}}, status=403)
        return None

    async def _tts(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        body = await request.json()
        self.tts_requests.append(body)
        if not body.get("text"):
            return web.json_response({"error": {"message": "text is required"}}, status=422)
        rate = int(body.get("speech_sample_rate") or 22050)
        pcm = tone(rate, 100 * len(body["text"].split()), 440, 5000)
        return web.json_response({"request_id": "req_1", "audios": [base64.b64encode(wav_bytes(pcm, rate)).decode()]})

    async def _stt(self, request: web.Request) -> web.Response:
        if denied := self._denied(request):
            return denied
        form = await request.post()
        upload = form["file"]
        with wave.open(io.BytesIO(upload.file.read())) as wav:
            seconds = wav.getnframes() / wav.getframerate()
        self.stt_requests.append({"model": form.get("model"), "language_code": form.get("language_code"),
                                  "seconds": seconds})
        return web.json_response({"request_id": "req_2", "transcript": self.transcript,
                                  "language_code": self.language_code, "language_probability": 0.93})
