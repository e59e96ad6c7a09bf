"""A loopback Sarvam server: `POST /text-to-speech` answers base64 WAVs, `POST /speech-to-text` takes a
multipart WAV, and the two WebSockets (`/text-to-speech/ws`, `/speech-to-text/ws`) speak the streaming
protocol of ../shared/protocols.md. Every endpoint checks the `api-subscription-key` header (403 before the
upgrade) and records what it got; the sockets can be told to fail, drop or go slow (fields below).

Refused as the service refuses them: an STT socket at a rate other than 8 or 16 kHz (an `error` frame, then
close), a TTS socket config without a `speaker`. With `vad_signals` and `flush_signal` both on, a flush that
finds nothing buffered because the server's VAD already finalised the segment gets no answer (the race that
left turns waiting for their timeout)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import wave
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

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
    # WebSockets: one entry per accepted socket, with its query and every JSON message the client sent
    tts_sockets: list[dict[str, Any]] = field(default_factory=list)
    stt_sockets: list[dict[str, Any]] = field(default_factory=list)
    stt_flushes: list[float] = field(default_factory=list)  # seconds of audio answered by each flush
    tts_chunk_delay: float = 0.0  # pause between audio frames (lets a test cancel mid-sentence)
    tts_error_on: str | None = None  # a text containing this gets an error frame after its first audio
    tts_drop_on: str | None = None  # ... or the socket closed after its first audio
    stt_transcripts: list[str] = field(default_factory=list)  # answers per flush, then `transcript`
    stt_segments: list[str] = field(default_factory=list)  # server-VAD finals sent after 0.5 s of audio
    stt_error_on_flush: bool = False
    stt_drop_flushes: int = 0  # close the socket instead of answering this many flushes
    stt_silent_flushes: int = 0  # leave this many flushes unanswered
    url: str = ""
    _runner: web.AppRunner | None = None
    _open: set = field(default_factory=set)

    async def start(self) -> FakeSarvam:
        app = web.Application()
        app.router.add_post("/text-to-speech", self._tts)
        app.router.add_post("/speech-to-text", self._stt)
        app.router.add_get("/text-to-speech/ws", self._tts_ws)
        app.router.add_get("/speech-to-text/ws", self._stt_ws)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        await self.drop_sockets()
        await self._runner.cleanup()

    async def drop_sockets(self) -> None:
        """The server closes every open WebSocket (like Sarvam's idle timeout or a restart)."""
        for ws in list(self._open):
            await ws.close()

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
        self.stt_requests.append(
            {
                "model": form.get("model"),
                "language_code": form.get("language_code"),
                "seconds": seconds,
                **({"mode": form["mode"]} if "mode" in form else {}),
            }
        )
        return web.json_response(
            {
                "request_id": "req_2",
                "transcript": self.transcript,
                "language_code": self.language_code,
                "language_probability": 0.93,
            }
        )

    # --- WebSockets --------------------------------------------------------------------------------
    async def _accept(self, request: web.Request, log: list[dict[str, Any]]) -> tuple[web.StreamResponse, Any]:
        if denied := self._denied(request):
            return denied, None
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        entry = {"query": dict(request.query), "messages": []}
        log.append(entry)
        self._open.add(ws)
        return ws, entry

    async def _tts_ws(self, request: web.Request) -> web.StreamResponse:
        ws, entry = await self._accept(request, self.tts_sockets)
        if entry is None:
            return ws
        config: dict[str, Any] | None = None
        text = ""
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                entry["messages"].append(payload)
                kind = payload.get("type")
                if config is None and kind != "config":
                    await self._ws_error(ws, "config must be the first message", 400)
                    await ws.close()
                    break
                if kind == "config":
                    config = payload["data"]
                    if not config.get("speaker"):
                        await self._ws_error(ws, "speaker is required", 422)
                        await ws.close()
                        break
                elif kind == "text":
                    text += payload["data"]["text"]
                elif kind == "flush" and text:
                    if not await self._speak(ws, entry, config, text):
                        break
                    text = ""
        finally:
            self._open.discard(ws)
        return ws

    async def _speak(self, ws: web.WebSocketResponse, entry: dict[str, Any], config: dict[str, Any], text: str) -> bool:
        """Audio for `text` (100 ms of tone per word) in five frames, then the completion event."""
        if config.get("output_audio_codec") != "linear16":
            await self._ws_error(ws, "only linear16 in the fake", 422)
            return True
        rate = int(config.get("speech_sample_rate") or 22050)
        pcm = tone(rate, 100 * len(text.split()), 300 + 40 * len(text.split()), 5000)
        step = len(pcm) // 5 + 1  # odd sizes: the client must keep samples whole across frames
        for index, start in enumerate(range(0, len(pcm), step)):
            chunk = pcm[start : start + step]
            await ws.send_json(
                {
                    "type": "audio",
                    "data": {
                        "content_type": "audio/pcm",
                        "request_id": "req_ws",
                        "audio": base64.b64encode(chunk).decode(),
                    },
                }
            )
            if index == 0 and self.tts_error_on and self.tts_error_on in text:
                await self._ws_error(ws, "synthesis failed", 500)
                return True
            if index == 0 and self.tts_drop_on and self.tts_drop_on in text:
                await ws.close()
                return False
            if self.tts_chunk_delay:
                await asyncio.sleep(self.tts_chunk_delay)
        if entry["query"].get("send_completion_event") == "true":
            await ws.send_json({"type": "event", "data": {"event_type": "final", "request_id": "req_ws"}})
        return True

    async def _stt_ws(self, request: web.Request) -> web.StreamResponse:
        ws, entry = await self._accept(request, self.stt_sockets)
        if entry is None:
            return ws
        rate = int(request.query.get("sample_rate") or 16000)
        vad_and_flush = request.query.get("vad_signals") == "true" and request.query.get("flush_signal") == "true"
        buffered = bytearray()
        finalised = False  # the server's VAD closed the last segment: nothing left for a flush
        try:
            if rate not in (8000, 16000):
                await ws.send_json(
                    {
                        "type": "error",
                        "data": {"error": f"sample_rate {rate} is not supported: use 8000 or 16000", "code": 400},
                    }
                )
                await ws.close()
                return ws
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                entry["messages"].append(payload)
                if "audio" in payload:
                    if int(payload["audio"].get("sample_rate") or rate) != rate:
                        await ws.send_json(
                            {
                                "type": "error",
                                "data": {"error": "audio sample_rate differs from the socket's", "code": 400},
                            }
                        )
                        continue
                    buffered += base64.b64decode(payload["audio"]["data"])
                    finalised = False
                    if self.stt_segments and len(buffered) >= rate:  # 0.5 s of 16-bit audio
                        await self._final(ws, self.stt_segments.pop(0))
                        buffered.clear()
                        finalised = True
                elif payload.get("type") == "flush":
                    if self.stt_drop_flushes:
                        self.stt_drop_flushes -= 1
                        await ws.close()
                        break
                    if self.stt_error_on_flush:
                        await ws.send_json({"type": "error", "data": {"error": "Internal error", "code": 500}})
                        continue
                    if self.stt_silent_flushes or (vad_and_flush and finalised and not buffered):
                        self.stt_silent_flushes = max(0, self.stt_silent_flushes - 1)
                        continue
                    self.stt_flushes.append(len(buffered) / 2 / rate)
                    if request.query.get("vad_signals") == "true":
                        await ws.send_json({"type": "events", "data": {"signal_type": "END_SPEECH", "occured_at": 0}})
                    answer = self.stt_transcripts.pop(0) if self.stt_transcripts else self.transcript
                    await self._final(ws, answer if buffered else "")
                    buffered.clear()
        finally:
            self._open.discard(ws)
        return ws

    async def _final(self, ws: web.WebSocketResponse, transcript: str) -> None:
        await ws.send_json(
            {
                "type": "data",
                "data": {
                    "request_id": "req_ws",
                    "transcript": transcript,
                    "language_code": self.language_code,
                    "language_probability": 0.93,
                    "metrics": {"audio_duration": 0},
                },
            }
        )

    @staticmethod
    async def _ws_error(ws: web.WebSocketResponse, message: str, code: int) -> None:
        await ws.send_json({"type": "error", "data": {"message": message, "code": code}})
