"""Sarvam saaras STT over one WebSocket per call (`/speech-to-text/ws`), streaming the caller's audio while
they speak so the transcript is ready as soon as the turn ends.

Two ways in:
- `open_turn(rate, language)` -> `SpeechTurn`: `push(frame)` (non-blocking, from the audio path) while the
  caller speaks, then `await finish()` at the end of the turn (sends `flush`, returns the final transcript) or
  `cancel()` (noise: the turn is flushed and its answer thrown away).
- `transcribe(pcm, rate, language)` (the `SpeechToText` interface): one whole utterance as a turn.

One pump task owns the socket: it sends each turn's new audio in order, a `flush` after a finished turn, and
reads the server's frames. Every `data` frame belongs to the oldest unresolved turn: the answer to its flush
resolves it; one arriving before that flush (the server's own VAD ended a segment) is kept and joined with it.
A socket that closes is reopened and every unresolved turn's audio replayed from its start (turns keep their
PCM), once per turn; an `error` frame fails the unresolved turns with `ProviderError`. With no turns for
`idle_seconds` the pump closes the socket and ends; `aclose()` ends it at the end of the call. Assumes one
language and rate per instance (one call).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from app.voice.audio import resample
from app.voice.providers.base import ProviderError, Transcript
from app.voice.providers.sarvam import BASE_URL, sarvam_language
from app.voice.providers.sarvam_socket import SocketClosed, error_text, open_socket, receive_json, send_json, ws_url

log = logging.getLogger("app.voice.providers.sarvam_ws_stt")
MAX_CHUNK_SECONDS = 1.0
WIRE_RATES = (8000, 16000)  # what the socket accepts; anything else is sent at 16 kHz
FLUSH_GRACE_SECONDS = 1.0


def wire_rate(rate: int) -> int:
    return rate if rate in WIRE_RATES else 16000


class StreamResampler:
    """Resamples pushed audio chunk by chunk without drift: whole blocks of `src/gcd(src, dst)` samples at a
    time, the remainder carried to the next push."""

    def __init__(self, src: int, dst: int) -> None:
        self.src, self.dst = src, dst
        self.block = 2 * (src // math.gcd(src, dst))
        self._rest = b""

    def push(self, pcm: bytes) -> bytes:
        if self.src == self.dst:
            return pcm
        data = self._rest + pcm
        cut = len(data) - len(data) % self.block
        self._rest = data[cut:]
        return resample(data[:cut], self.src, self.dst)

    def flush(self) -> bytes:
        """The carried remainder, padded with silence to a whole block."""
        if not self._rest:
            return b""
        data, self._rest = self._rest + bytes(self.block - len(self._rest)), b""
        return resample(data, self.src, self.dst)


def stt_language(language: str | None) -> str:
    """Code-mixed hi-en and an unknown language are detected by the server."""
    return "unknown" if not language or language.lower() == "hi-en" else sarvam_language(language)


@dataclass(eq=False)
class SpeechTurn:
    owner: SarvamStreamingSTT
    rate: int  # the call's rate (what `push` gets)
    language: str | None
    audio: bytearray = field(default_factory=bytearray)  # at `wire_rate`: what the socket is sent
    sent: int = 0  # bytes of `audio` on the current socket
    flushed: bool = False  # the caller's turn is over (finish or cancel)
    flush_sent: bool = False
    cancelled: bool = False
    replays: int = 0
    texts: list[str] = field(default_factory=list)
    result: asyncio.Future[Transcript] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    wire_rate: int = 0
    _resampler: StreamResampler = field(init=False)

    def __post_init__(self) -> None:
        self.wire_rate = wire_rate(self.rate)
        self._resampler = StreamResampler(self.rate, self.wire_rate)

    def push(self, pcm: bytes) -> None:
        if not self.flushed and pcm:
            self.audio += self._resampler.push(pcm)
            self.owner._wake.set()

    async def finish(self) -> Transcript:
        """Flush and wait for the final transcript (ProviderError on failure or timeout)."""
        if not self.flushed:
            self.audio += self._resampler.flush()
        if not self.audio:
            self._drop()
            return Transcript("", self.language)
        self.flushed = True
        self.owner._start()
        if await self._answered():
            return self.result.result()
        self.cancelled = True  # its late answer must not land on the next turn
        if self.texts:
            return Transcript(" ".join(self.texts), self.language)
        raise ProviderError(f"Sarvam STT gave no transcript within {self.owner.timeout} s")

    async def _answered(self) -> bool:
        """Waits for the answer: at most `timeout`, and at most `flush_grace` after the flush went out
        while the turn already holds text (the server's VAD finalised it before our flush)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.owner.timeout
        grace_end: float | None = None
        while not self.result.done():
            now = loop.time()
            if not (self.flush_sent and self.texts):  # (again, after a replay on a new socket)
                grace_end = None
            elif grace_end is None:
                grace_end = now + self.owner.flush_grace
            end = min(deadline, grace_end) if grace_end is not None else deadline
            if now >= end:
                return False
            try:
                await asyncio.wait_for(asyncio.shield(self.result), min(end - now, 0.1))
            except TimeoutError:
                continue
        return True

    def cancel(self) -> None:
        """Not a turn after all: flush what the server has and discard the answer."""
        self.cancelled = True
        if not self.audio or (self.sent == 0 and not self.flush_sent):
            self._drop()
            return
        self.flushed = True
        self.owner._wake.set()

    def _drop(self) -> None:
        self.flushed = self.cancelled = True
        if self in self.owner._turns:
            self.owner._turns.remove(self)
        if not self.result.done():
            self.result.set_result(Transcript("", self.language))


class SarvamStreamingSTT:
    def __init__(
        self,
        api_key: str,
        base_url: str = BASE_URL,
        model: str = "saaras:v3",
        timeout: float = 10.0,
        idle_seconds: float = 30.0,
        flush_grace: float = FLUSH_GRACE_SECONDS,
    ) -> None:
        self.api_key, self.base_url, self.model = api_key, base_url.rstrip("/"), model
        self.timeout, self.idle_seconds, self.flush_grace = timeout, idle_seconds, flush_grace
        self.connections = 0
        self._turns: list[SpeechTurn] = []
        self._wake = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    def open_turn(self, rate: int, language: str | None) -> SpeechTurn:
        turn = SpeechTurn(self, rate, language)
        self._turns.append(turn)
        self._start()
        return turn

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        if not pcm:
            return Transcript("", language)
        turn = self.open_turn(rate, language)
        turn.push(pcm)
        return await turn.finish()

    async def aclose(self) -> None:
        task, self._pump = self._pump, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._fail(ProviderError("Sarvam STT closed"))
        if self._http is not None:
            await self._http.close()
            self._http = None

    # --- the pump ------------------------------------------------------------------------------
    def _start(self) -> None:
        self._wake.set()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._run(), name="sarvam-stt-pump")

    async def _run(self) -> None:
        while True:
            await self._serve_turns()
            if self._http is not None:  # idle: nothing stays open past the call
                http, self._http = self._http, None
                await http.close()
            if not self._turns:
                return

    async def _serve_turns(self) -> None:
        while self._turns:
            first = self._turns[0]
            params = {
                "language-code": stt_language(first.language),
                "model": self.model,
                "sample_rate": first.wire_rate,
                "input_audio_codec": "pcm_s16le",
                "flush_signal": "true",
            }
            if self._http is None or self._http.closed:
                self._http = aiohttp.ClientSession()
            try:
                ws = await open_socket(
                    self._http, ws_url(self.base_url, "/speech-to-text/ws", params), self.api_key, self.timeout
                )
            except ProviderError as error:
                self._fail(error)
                return
            self.connections += 1
            try:
                await self._serve(ws)
            except SocketClosed as error:
                self._replay_or_fail(error)
            except ProviderError as error:
                self._fail(error)
            finally:
                await ws.close()

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Until the socket fails or no turn came for `idle_seconds`."""
        reader = asyncio.get_running_loop().create_task(self._read(ws), name="sarvam-stt-reader")
        try:
            while True:
                if reader.done():
                    reader.result()
                    raise SocketClosed("Sarvam STT reader ended")
                await self._send_pending(ws)
                if not self._turns:
                    try:
                        await asyncio.wait_for(self._wait_wake(reader), self.idle_seconds)
                    except TimeoutError:
                        return
                    if not self._turns:
                        continue
                else:
                    await self._wait_wake(reader)
        finally:
            if not reader.done():
                reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _wait_wake(self, reader: asyncio.Task[None]) -> None:
        waiter = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        self._wake.clear()

    async def _send_pending(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        for turn in list(self._turns):
            if turn not in self._turns:  # dropped while an earlier send was waiting
                continue
            limit = int(turn.wire_rate * 2 * MAX_CHUNK_SECONDS)
            while turn.sent < len(turn.audio):
                chunk = bytes(turn.audio[turn.sent : turn.sent + limit])
                turn.sent += len(chunk)  # before the await: a cancel meanwhile must see it as sent
                await send_json(
                    ws,
                    {
                        "audio": {
                            "data": base64.b64encode(chunk).decode(),
                            "sample_rate": turn.wire_rate,
                            "encoding": "audio/wav",
                        }
                    },
                )
            if turn.flushed and not turn.flush_sent:
                turn.flush_sent = True
                await send_json(ws, {"type": "flush"})
            if not turn.flushed:
                break  # later turns wait until this one is flushed: their audio must not mix in

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            payload = await receive_json(ws, None)
            kind = payload.get("type")
            if kind == "data":
                self._route(payload.get("data") or {})
            elif kind == "error":
                raise ProviderError(error_text(payload))

    def _route(self, data: dict[str, Any]) -> None:
        if not self._turns:
            log.warning("Sarvam STT sent a transcript with no turn open; dropped")
            return
        turn = self._turns[0]
        text = str(data.get("transcript") or "").strip()
        if not turn.flush_sent:  # the server's VAD closed a segment mid-turn
            if text:
                turn.texts.append(text)
            return
        self._turns.pop(0)
        if text:
            turn.texts.append(text)
        if not turn.result.done():
            turn.result.set_result(
                Transcript(
                    " ".join(turn.texts), data.get("language_code") or turn.language, data.get("language_probability")
                )
            )
        self._wake.set()

    def _replay_or_fail(self, error: ProviderError) -> None:
        for turn in list(self._turns):
            turn.replays += 1
            if turn.replays > 1:
                self._turns.remove(turn)
                if not turn.result.done():
                    turn.result.set_exception(ProviderError(f"Sarvam STT socket dropped twice: {error}"))
                    turn.result.exception()  # retrieved: a cancelled turn has no one waiting
                continue
            turn.sent, turn.flush_sent, turn.texts = 0, False, []

    def _fail(self, error: ProviderError) -> None:
        turns, self._turns = self._turns, []
        for turn in turns:
            if not turn.result.done():
                turn.result.set_exception(ProviderError(str(error)))
                turn.result.exception()
