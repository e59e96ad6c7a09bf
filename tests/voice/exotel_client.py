"""Plays Exotel's side of a voicebot stream over a real WebSocket, recording what the bot sends back."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp

from app.voice.audio import frame_bytes, mulaw_encode


class ExotelCaller:
    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, rate: int = 8000, mulaw: bool = False, ack_marks: bool = True
    ) -> None:
        self.ws = ws
        self.rate = rate
        self.mulaw = mulaw
        self.ack_marks = ack_marks
        self.received: list[dict[str, Any]] = []
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._sequence = 0
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls, http: aiohttp.ClientSession, url: str, auth: aiohttp.BasicAuth | None = None, **options: Any
    ) -> ExotelCaller:
        """`auth`: the Basic credentials Exotel sends for a `wss://KEY:TOKEN@host/...` applet URL."""
        return cls(await http.ws_connect(url, auth=auth), **options)

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            self.received.append(frame)
            if frame["event"] == "mark" and self.ack_marks:
                await self.send({"event": "mark", "stream_sid": "SID1", "mark": frame["mark"]})
        self.close_code = self.ws.close_code
        self.closed.set()

    async def send(self, frame: dict[str, Any] | str) -> None:
        if self.ws.closed:
            return
        await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    async def start(
        self,
        to: str | None = None,
        from_: str = "+919812345678",
        params: dict | None = None,
        encoding: str = "audio/x-raw",
        as_strings: bool = True,
        account_sid: str = "AC1",
    ) -> None:
        number = str if as_strings else int
        await self.send({"event": "connected"})
        await self.send(
            {
                "event": "start",
                "sequence_number": number(1),
                "stream_sid": "SID1",
                "start": {
                    "stream_sid": "SID1",
                    "call_sid": "CA123",
                    "account_sid": account_sid,
                    "from": from_,
                    "to": to,
                    "custom_parameters": params or {},
                    "media_format": {"encoding": encoding, "sample_rate": number(self.rate), "bit_rate": number(16)},
                },
            }
        )

    async def play(self, pcm: bytes, realtime: float = 0.5) -> None:
        """Caller audio in Exotel's ~100 ms media frames, at `realtime` x the real pace (0 = as fast as possible)."""
        size = frame_bytes(self.rate, 100)
        for start in range(0, len(pcm), size):
            chunk = pcm[start : start + size]
            payload = mulaw_encode(chunk) if self.mulaw else chunk
            self._sequence += 1
            await self.send(
                {
                    "event": "media",
                    "sequence_number": str(self._sequence),
                    "stream_sid": "SID1",
                    "media": {
                        "chunk": str(self._sequence),
                        "timestamp": str(self._sequence * 100),
                        "payload": base64.b64encode(payload).decode(),
                    },
                }
            )
            if realtime:
                await asyncio.sleep(0.1 * realtime)

    async def stop(self, reason: str = "callended") -> None:
        await self.send({"event": "stop", "stop": {"call_sid": "CA123", "account_sid": "AC1", "reason": reason}})

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [frame for frame in self.received if frame["event"] == kind]

    def payloads(self) -> list[bytes]:
        return [base64.b64decode(frame["media"]["payload"]) for frame in self.events("media")]

    async def wait_for(self, predicate, timeout: float = 10) -> None:
        async def poll():
            while not predicate():
                await asyncio.sleep(0.02)

        await asyncio.wait_for(poll(), timeout)

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
