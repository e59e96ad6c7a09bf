"""Sarvam bulbul TTS over one WebSocket per call (`/text-to-speech/ws`): config once (always with a
speaker: the voice's, else the model's default for the language), then a text + flush cycle per sentence,
raw linear16 PCM at the call's rate streamed back until the completion event.

Contract per sentence: `synthesize` sends `text` and `flush`, yields audio frames as they arrive and returns
on `{"type": "event", "data": {"event_type": "final"}}`. An `error` frame raises `ProviderError`.

Reuse and recovery: the socket (and its config) is kept between sentences. A socket found closed before a
sentence produced any audio (idle timeout, restart) is reopened and the sentence re-sent once. A sentence
that is cancelled (barge-in) or fails part-way leaves unread audio on its socket, so that socket is
abandoned at once (never drained: the new reply must not wait for the old sentence) and closed before the
next sentence opens a fresh one; audio of a cancelled sentence can never be read as the next one's.
A keep-alive task pings every `ping_seconds` while the socket idles and closes it after `idle_seconds`
without a sentence; `aclose()` ends both at the end of the call.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp

from app.voice.audio import SampleAligner, resample
from app.voice.providers.base import ProviderError, Voice
from app.voice.providers.sarvam import BASE_URL, sarvam_language, sarvam_speaker
from app.voice.providers.sarvam_socket import SocketClosed, error_text, open_socket, receive_json, send_json, ws_url
from app.voice.providers.wav import wav_to_pcm

PCM_RATES = (8000, 16000, 22050, 24000)


class SarvamStreamingTTS:
    def __init__(
        self,
        api_key: str,
        base_url: str = BASE_URL,
        model: str = "bulbul:v2",
        timeout: float = 15.0,
        ping_seconds: float = 20.0,
        idle_seconds: float = 120.0,
    ) -> None:
        self.api_key, self.base_url, self.model = api_key, base_url.rstrip("/"), model
        self.timeout, self.ping_seconds, self.idle_seconds = timeout, ping_seconds, idle_seconds
        self.connections = 0  # sockets opened so far (reuse is observable)
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._config: tuple[str, dict[str, Any]] | None = None  # (model, config) the open socket was opened with
        self._abandoned: list[aiohttp.ClientWebSocketResponse] = []
        self._lock = asyncio.Lock()
        self._keepalive: asyncio.Task[None] | None = None
        self._last_used = 0.0

    def _config_for(self, voice: Voice, model: str, rate: int) -> dict[str, Any]:
        """Always with a speaker: the voice's, else the model's default for the language."""
        return {
            "target_language_code": sarvam_language(voice.language),
            "speaker": sarvam_speaker(voice, model),
            "speech_sample_rate": rate,
            "output_audio_codec": "linear16",
            "min_buffer_size": 30,
            "max_chunk_length": 250,
        }

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncGenerator[bytes, None]:
        if not text.strip():
            return
        source_rate = rate if rate in PCM_RATES else 16000
        model = voice.model or self.model
        config = (model, self._config_for(voice, model, source_rate))
        async with self._lock:
            self._last_used = asyncio.get_running_loop().time()
            finished = False
            try:
                for attempt in (1, 2):
                    ws = await self._send_sentence(text, config)
                    samples, heard = SampleAligner(), False
                    try:
                        while True:
                            payload = await receive_json(ws, self.timeout)
                            kind = payload.get("type")
                            if kind == "audio":
                                if pcm := samples.push(_audio_bytes(payload)):
                                    heard = True
                                    yield resample(pcm, source_rate, rate)
                            elif kind == "event" and (payload.get("data") or {}).get("event_type") == "final":
                                finished = True
                                return
                            elif kind == "error":
                                raise ProviderError(error_text(payload))
                    except SocketClosed:
                        self._abandon()
                        if heard or attempt == 2:  # audio already went out: re-sending would repeat it
                            raise ProviderError("Sarvam closed the TTS WebSocket in the middle of a sentence") from None
            finally:
                self._last_used = asyncio.get_running_loop().time()
                if not finished:
                    self._abandon()

    async def _send_sentence(self, text: str, config: tuple[str, dict[str, Any]]) -> aiohttp.ClientWebSocketResponse:
        """Text + flush on the open socket; reopens once if the kept socket is already known to be gone."""
        ws = await self._socket(config)
        try:
            await send_json(ws, {"type": "text", "data": {"text": text}})
            await send_json(ws, {"type": "flush"})
            return ws
        except SocketClosed:
            self._abandon()
        ws = await self._socket(config)
        await send_json(ws, {"type": "text", "data": {"text": text}})
        await send_json(ws, {"type": "flush"})
        return ws

    async def _socket(self, config: tuple[str, dict[str, Any]]) -> aiohttp.ClientWebSocketResponse:
        """The open socket when it has this (model, config); else a fresh one, configured."""
        if self._ws is not None and (self._ws.closed or config != self._config):
            self._abandon()
        await self._close_abandoned()
        if self._ws is not None:
            return self._ws
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        model, settings = config
        url = ws_url(self.base_url, "/text-to-speech/ws", {"model": model, "send_completion_event": "true"})
        ws = await open_socket(self._http, url, self.api_key, self.timeout)
        self.connections += 1
        try:
            await send_json(ws, {"type": "config", "data": settings})
        except SocketClosed:
            await ws.close()
            raise ProviderError("Sarvam closed the TTS WebSocket before taking the config") from None
        self._ws, self._config = ws, config
        if self._keepalive is None or self._keepalive.done():
            self._keepalive = asyncio.get_running_loop().create_task(self._keep_alive(), name="sarvam-tts-ping")
        return ws

    def _abandon(self) -> None:
        """Forget the current socket without waiting (we may be inside a cancellation); closed later."""
        if self._ws is not None:
            self._abandoned.append(self._ws)
        self._ws, self._config = None, None

    async def _close_abandoned(self) -> None:
        while self._abandoned:
            ws = self._abandoned.pop()
            try:
                await asyncio.wait_for(ws.close(), 2.0)
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass

    async def _keep_alive(self) -> None:
        """Pings while idle; closes the socket after `idle_seconds` without a sentence (ends itself)."""
        loop = asyncio.get_running_loop()
        while self._ws is not None:
            await asyncio.sleep(self.ping_seconds)
            if self._lock.locked():
                continue
            async with self._lock:
                if self._ws is None:
                    break
                if loop.time() - self._last_used >= self.idle_seconds:
                    self._abandon()
                    await self._close_all()
                    break
                try:
                    await send_json(self._ws, {"type": "ping"})
                except SocketClosed:
                    self._abandon()
                    break
        await self._close_abandoned()

    async def _close_all(self) -> None:
        await self._close_abandoned()
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    async def aclose(self) -> None:
        task, self._keepalive = self._keepalive, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._abandon()
        await self._close_all()


def _audio_bytes(payload: dict[str, Any]) -> bytes:
    data = payload.get("data") or {}
    try:
        audio = base64.b64decode(data.get("audio") or "", validate=True)
    except (ValueError, TypeError):
        raise ProviderError("Sarvam sent audio that is not base64") from None
    if audio.startswith(b"RIFF"):  # a WAV-wrapped chunk: take its PCM
        audio, _ = wav_to_pcm(audio)
    return audio
