"""`/ws/exotel`: one Exotel voicebot stream driving one CallSession.

Exotel connects (with the credentials `exotel_auth.py` checks), says `connected` then `start` (stream,
numbers, custom parameters, media format); we resolve the flow, run the session, and close the socket when
the call ends (Exotel then moves to the next applet of its flow: hang-up or a transfer).
"""

from __future__ import annotations

import asyncio
import logging
from enum import Enum

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from app.calls.contract import Speaker
from app.calls.lifecycle import EndReason
from app.voice.audio import FrameSplitter, frame_bytes, mulaw_decode, mulaw_encode
from app.voice.context import CallContext
from app.voice.runtime import VoiceRuntime
from app.voice.session import CallSession
from app.voice.transports import exotel_protocol as wire
from app.voice.transports.call_loop import run_call
from app.voice.transports.exotel_auth import REFUSED, SocketAccess

log = logging.getLogger("app.voice.exotel")
STOP_REASONS = {"callended": EndReason.CALLER_HANGUP, "stopped": EndReason.FLOW_STOPPED}
POLICY_VIOLATION = 1008
PACING_MARGIN = 0.04  # seconds beyond one chunk the player runs ahead: absorbs scheduling jitter on the send


class StreamState(str, Enum):
    AWAITING_START = "awaiting_start"
    ACTIVE = "active"
    CLOSED = "closed"


class ExotelStream:
    """The socket side of one call; also the session's `CallOutput`."""

    def __init__(self, websocket: WebSocket, runtime: VoiceRuntime) -> None:
        self.websocket = websocket
        self.runtime = runtime
        self.state = StreamState.AWAITING_START
        self.stream_sid = ""
        self.format = wire.MediaFormat()
        self.session: CallSession | None = None
        self._send_lock = asyncio.Lock()
        self._chunker = wire.OutboundChunker(frame_bytes(self.format.rate, 100))  # replaced by the start's format
        self.malformed = 0

    async def run(self) -> None:
        access = await self._authenticate()
        await self.websocket.accept()
        if not access.allowed:
            await self._close(POLICY_VIOLATION)
            return
        try:
            start = await asyncio.wait_for(self._await_start(), self.runtime.start_timeout)
        except (TimeoutError, WebSocketDisconnect):
            start = None
        if start is not None and not access.admits(start.account_sid):
            log.warning(
                "stream %s: account %s is not the one its credentials belong to: closing",
                start.stream_sid,
                start.account_sid,
            )
            await self._close(POLICY_VIOLATION)
            return
        if start is not None and not access.admits_call(start.custom_parameters.get("call_id")):
            log.warning("stream %s: its per-call credentials belong to another call: closing", start.stream_sid)
            await self._close(POLICY_VIOLATION)
            return
        context = await self._resolve(start) if start is not None else None
        if start is None or context is None:
            await self._close()
            return
        self.format = start.media_format
        rate = self.format.rate
        self._chunker = wire.OutboundChunker(
            frame_bytes(rate, 100) // (2 if self.format.mulaw else 1), 0xFF if self.format.mulaw else 0
        )
        reporter = self.runtime.reporter_factory()
        self.session = CallSession(
            context,
            self.runtime.providers(context),
            reporter,
            self,
            self.runtime.session_config(rate),
            self.runtime.clock,
            lead=self.chunk_seconds + PACING_MARGIN,
            analyser=self.runtime.analysers(context),
        )
        for observer in self.runtime.observers:
            self.session.observe(observer)
        self.state = StreamState.ACTIVE
        try:
            await run_call(self.session, self._read(FrameSplitter(rate)), "exotel-reader")
        finally:
            await self._close()  # first: Exotel moves on to its next applet while we write up the call
            await self.session.wait()

    async def _authenticate(self) -> SocketAccess:
        """The handshake's credentials, checked before anything of the call is created."""
        try:
            access = await self.runtime.exotel_auth.check(self.websocket.headers.get("authorization"))
        except Exception:
            log.exception("checking the credentials of an Exotel socket failed: refusing it")
            return REFUSED
        if not access.allowed:
            client = self.websocket.client
            log.warning(
                "refusing an Exotel socket from %s: missing or unknown credentials", client.host if client else "?"
            )
        return access

    async def _await_start(self) -> wire.Start:
        while True:
            event = self._parse(await self._receive_text())
            if isinstance(event, wire.Start):
                self.stream_sid = event.stream_sid
                return event
            if isinstance(event, wire.Stop):
                raise WebSocketDisconnect(1000)

    async def _resolve(self, start: wire.Start) -> CallContext | None:
        resolver = self.runtime.resolver
        try:
            if start.custom_parameters.get("flow_id"):
                context = await resolver.outbound(
                    start.custom_parameters, start.from_number, start.to_number, start.account_sid, start.call_sid
                )
            else:
                context = await resolver.inbound(start.to_number, start.from_number, start.account_sid, start.call_sid)
        except Exception:
            log.exception("resolving the flow of stream %s failed", start.stream_sid)
            return None
        if context is None:
            log.info(
                "no flow for stream %s (to=%s, params=%s): closing",
                start.stream_sid,
                start.to_number,
                start.custom_parameters,
            )
        return context

    async def _read(self, splitter: FrameSplitter) -> None:
        session = self.session
        assert session is not None  # the reader starts once the session exists
        try:
            while True:
                event = self._parse(await self._receive_text())
                if isinstance(event, wire.Media):
                    pcm = mulaw_decode(event.payload) if self.format.mulaw else event.payload
                    for frame in splitter.push(pcm):
                        await session.feed(frame)
                elif isinstance(event, wire.Dtmf):
                    await session.dtmf(event.digit)
                elif isinstance(event, wire.Mark):
                    session.mark_played(event.name)
                elif isinstance(event, wire.Stop):
                    session.hangup(STOP_REASONS.get(event.reason or "", EndReason.CALLER_HANGUP))
                    return
        except (WebSocketDisconnect, RuntimeError):
            session.hangup(EndReason.CALLER_HANGUP)

    async def _receive_text(self) -> str | bytes:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        data: str | bytes = message.get("text") or message.get("bytes") or b""
        return data

    def _parse(self, text: str | bytes) -> wire.ExotelEvent | None:
        try:
            return wire.parse(text)
        except wire.MalformedFrame as error:
            self.malformed += 1
            log.warning("stream %s: skipping malformed frame: %s", self.stream_sid or "?", error)
            return None

    @property
    def chunk_seconds(self) -> float:
        """Audio in one outbound chunk: nothing leaves before a whole chunk exists, so the player paces ahead
        by one (the first chunk leaves as soon as it is synthesized, not after 200 ms of real-time pacing)."""
        bytes_per_second = self.format.rate * (1 if self.format.mulaw else 2)
        return self._chunker.size / bytes_per_second

    # --- CallOutput ----------------------------------------------------------------------------
    async def send_audio(self, frame: bytes) -> None:
        data = mulaw_encode(frame) if self.format.mulaw else frame
        for chunk in self._chunker.push(data):
            await self._send(wire.media_frame(self.stream_sid, chunk))

    async def send_mark(self, name: str) -> None:
        last = self._chunker.flush()
        if last:
            await self._send(wire.media_frame(self.stream_sid, last))
        await self._send(wire.mark_frame(self.stream_sid, name))

    async def clear(self) -> None:
        self._chunker.drop()
        await self._send(wire.clear_frame(self.stream_sid))

    async def send_transcript(self, speaker: Speaker, text: str, timestamp: float) -> None:
        return None  # the phone line has no text channel

    async def _send(self, text: str) -> None:
        if self.state != StreamState.ACTIVE:
            return
        async with self._send_lock:
            try:
                await self.websocket.send_text(text)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.state = StreamState.CLOSED
                if self.session is not None:
                    self.session.hangup(EndReason.CALLER_HANGUP)

    async def _close(self, code: int = 1000) -> None:
        self.state = StreamState.CLOSED
        if self.websocket.application_state == WebSocketState.CONNECTED:
            try:
                await self.websocket.close(code)
            except (WebSocketDisconnect, RuntimeError, OSError):
                pass
