"""`/ws/browser-test/{flow_uuid}?token=`: try a flow from the browser microphone, no phone call.

In: binary frames of 16 kHz 16-bit mono little-endian PCM (any length), and optional JSON text frames
`{"type": "dtmf", "digit": "1"}` / `{"type": "stop"}`. Out: binary frames of agent audio (same format) and
JSON text frames `{"type": "transcript", "speaker", "text", "timestamp"}`, `{"type": "clear"}` (drop queued
agent audio: barge-in), `{"type": "end", "outcome", "duration_seconds"}`. Runs the same CallSession as a phone
call and records a call of type `test`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from enum import Enum
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from app.auth.authenticator import Authenticator
from app.calls.contract import Speaker
from app.calls.lifecycle import EndReason
from app.errors import DomainError
from app.voice.audio import FrameSplitter
from app.voice.runtime import VoiceRuntime
from app.voice.session import CallSession
from app.voice.transports.call_loop import run_call

log = logging.getLogger("app.voice.browser")
RATE = 16000
UNAUTHORISED = 4401
FLOW_NOT_FOUND = 4404


class BrowserState(str, Enum):
    CONNECTING = "connecting"
    ACTIVE = "active"
    CLOSED = "closed"


class BrowserTestStream:
    def __init__(self, websocket: WebSocket, runtime: VoiceRuntime, authenticator: Authenticator) -> None:
        self.websocket = websocket
        self.runtime = runtime
        self.authenticator = authenticator
        self.state = BrowserState.CONNECTING
        self.session: CallSession | None = None
        self._send_lock = asyncio.Lock()

    async def run(self, flow_id: str, token: str | None) -> None:
        await self.websocket.accept()
        try:
            principal = await self.authenticator.authenticate(token)
        except DomainError:
            await self._close(UNAUTHORISED)
            return
        context = await self.runtime.resolver.test(principal.organisation_id, flow_id)
        if context is None:
            await self._close(FLOW_NOT_FOUND)
            return
        self.session = CallSession(
            context,
            self.runtime.providers(context),
            self.runtime.reporter_factory(),
            self,
            self.runtime.session_config(RATE),
            self.runtime.clock,
            analyser=self.runtime.analysers(context),
        )
        for observer in self.runtime.observers:
            self.session.observe(observer)
        self.state = BrowserState.ACTIVE
        try:
            await run_call(self.session, self._read(FrameSplitter(RATE)), "browser-reader")
        finally:
            end = await self.session.wait()
            await self._send_json(
                {
                    "type": "end",
                    "outcome": end.outcome,
                    "end_reason": end.end_reason,
                    "duration_seconds": end.duration_seconds,
                }
            )
            await self._close(1000)

    @property
    def _call(self) -> CallSession:
        assert self.session is not None, "frames and marks are read only once the session has started"
        return self.session

    async def _read(self, splitter: FrameSplitter) -> None:
        session = self._call
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("bytes"):
                    for frame in splitter.push(message["bytes"]):
                        await session.feed(frame)
                elif message.get("text"):
                    await self._control(message["text"])
        except (WebSocketDisconnect, RuntimeError):
            pass
        session.hangup(EndReason.CALLER_HANGUP)

    async def _control(self, text: str) -> None:
        try:
            frame = json.loads(text)
            kind = frame.get("type")
        except (ValueError, AttributeError):
            log.warning("browser test: skipping malformed text frame")
            return
        if kind == "dtmf" and frame.get("digit") is not None:
            await self._call.dtmf(str(frame["digit"]))
        elif kind == "mark" and frame.get("name"):
            self._call.mark_played(str(frame["name"]))
        elif kind == "stop":
            self._call.hangup(EndReason.CALLER_HANGUP)

    # --- CallOutput ----------------------------------------------------------------------------
    async def send_audio(self, frame: bytes) -> None:
        await self._send(bytes=frame)

    async def send_mark(self, name: str) -> None:
        self._call.mark_played(name)  # the browser plays what it gets at once

    async def clear(self) -> None:
        await self._send_json({"type": "clear"})

    async def send_transcript(self, speaker: Speaker, text: str, timestamp: float) -> None:
        await self._send_json({"type": "transcript", "speaker": speaker.value, "text": text, "timestamp": timestamp})

    async def _send_json(self, payload: dict[str, Any]) -> None:
        await self._send(text=json.dumps(payload))

    async def _send(self, *, text: str | None = None, bytes: bytes | None = None) -> None:
        if self.state != BrowserState.ACTIVE:
            return
        async with self._send_lock:
            try:
                if bytes is not None:
                    await self.websocket.send_bytes(bytes)
                elif text is not None:
                    await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.state = BrowserState.CLOSED
                if self.session is not None:
                    self._call.hangup(EndReason.CALLER_HANGUP)

    async def _close(self, code: int) -> None:
        self.state = BrowserState.CLOSED
        if self.websocket.application_state == WebSocketState.CONNECTED:
            try:
                await self.websocket.close(code)
            except (WebSocketDisconnect, RuntimeError, OSError):
                pass
