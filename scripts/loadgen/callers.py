"""Simulated Exotel callers: one process drives many calls over real WebSockets, the way Exotel does.

    python -m scripts.loadgen.callers --url ws://127.0.0.1:PORT/api/voice/ws/exotel --to +9180... \
        --calls 50 --speech a.wav,b.wav,c.wav --ramp 5 --seconds 120

Each call sends `connected` and `start`, then one `media` frame of 20 ms (8 kHz linear PCM) every 20 ms of
real time: silence while it listens, a pre-recorded espeak-ng phrase for each of its turns. It echoes every
`mark` at once, as Exotel does after playing up to it. It speaks again once the agent's reply is over (a mark
came back and the line was quiet for `QUIET` s), or gives up on a reply after `--reply-timeout`. One ticker
sends every call's frame in turn, so a process costs one timer per 20 ms, and its own lateness is reported
(`generator`), so a saturated load generator is visible rather than mistaken for a slow server.
Prints one JSON object: per-call results and the generator's own figures.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import time
import wave
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.loadgen.measures import Arrival, spread

RATE = 8000
FRAME_SECONDS = 0.02  # --frame-ms changes these three before any call starts
FRAME_BYTES = RATE * 2 // 50
SILENCE = base64.b64encode(bytes(FRAME_BYTES)).decode()
QUIET = 0.8  # the agent is done when a mark came back and no audio arrived for this long
GREETING_TIMEOUT = 12.0  # speak anyway if the greeting never ends
STREAM_SID = "SID_BENCH"


class Phase(Enum):
    CONNECTING = "connecting"
    GREETING = "greeting"  # listening to the agent's opening line
    SPEAKING = "speaking"
    LISTENING = "listening"  # waiting for, then hearing, the reply to the last turn
    DONE = "done"


@dataclass
class Reply:
    """The agent audio heard after one caller turn (or the greeting: `ended_at` None)."""

    ended_at: float | None
    chunks: list[Arrival] = field(default_factory=list)
    marks_after_audio: int = 0


class Caller:
    def __init__(self, index: int, to: str, turns: list[list[str]], reply_timeout: float) -> None:
        self.index = index
        self.to = to
        self.turns = turns  # base64 frames of each turn's phrase
        self.reply_timeout = reply_timeout
        self.phase = Phase.CONNECTING
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.replies: list[Reply] = [Reply(None)]
        self.turn = 0
        self.position = 0
        self.sequence = 0
        self.phase_at = 0.0
        self.last_audio = 0.0
        self.error: str | None = None
        self.clears = 0
        self.closed_by_server = False
        self.connected_at: float | None = None  # for the server's CPU per call-second
        self.hung_up_at: float | None = None

    # --- the sender side, called by the ticker every 20 ms ----------------------------------------
    def next_frame(self, now: float) -> str | None:
        """The text of this call's next media frame, or None once it has nothing more to say."""
        reply = self.replies[-1]
        if self.phase == Phase.GREETING:
            over = reply.marks_after_audio and now - self.last_audio >= QUIET
            if over or now - self.phase_at >= GREETING_TIMEOUT:
                self._speak(now)
        elif self.phase == Phase.LISTENING:
            heard = bool(reply.chunks)
            over = heard and reply.marks_after_audio and now - self.last_audio >= QUIET
            if over or (not heard and now - reply.ended_at >= self.reply_timeout) or now - self.phase_at >= 60:
                if self.turn + 1 >= len(self.turns):
                    self.phase = Phase.DONE
                    return None
                self.turn += 1
                self._speak(now)
        payload = SILENCE
        if self.phase == Phase.SPEAKING:
            frames = self.turns[self.turn]
            payload = frames[self.position]
            self.position += 1
            if self.position == len(frames):
                self.phase, self.phase_at = Phase.LISTENING, now
                self.replies.append(Reply(now + FRAME_SECONDS))  # the phrase ends with this frame's audio
        self.sequence += 1
        return (  # a %-template: the cheapest way to build the frame in the generator's hot loop
            '{"event": "media", "sequence_number": "%d", "stream_sid": "%s", "media": {"chunk": "%d", '  # noqa: UP031
            '"timestamp": "%d", "payload": "%s"}}'
            % (self.sequence, STREAM_SID, self.sequence, self.sequence * FRAME_SECONDS * 1000, payload)
        )

    def _speak(self, now: float) -> None:
        self.phase, self.phase_at, self.position = Phase.SPEAKING, now, 0

    # --- the receiving side ----------------------------------------------------------------------
    async def read(self) -> None:
        try:
            await self._read()
        except (ConnectionError, aiohttp.ClientError) as error:
            self.error = self.error or f"receive: {error!r}"
        self.closed_by_server = True

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            now = time.perf_counter()
            frame = json.loads(message.data)
            event = frame.get("event")
            if event == "media":
                payload = frame["media"]["payload"]
                size = len(payload) * 3 // 4 - payload[-2:].count("=")
                self.replies[-1].chunks.append((now, size / 2 / RATE, 0))
                self.last_audio = now
            elif event == "mark":
                chunks = self.replies[-1].chunks
                if chunks:
                    self.replies[-1].marks_after_audio += 1
                    chunks[-1] = (*chunks[-1][:2], 1)
                await self.ws.send_str(
                    json.dumps({"event": "mark", "stream_sid": STREAM_SID, "mark": frame.get("mark") or {}})
                )
            elif event == "clear":
                self.clears += 1

    def result(self) -> dict[str, Any]:
        turns = self.replies[1:]
        latencies = []
        for reply in turns:
            if reply.chunks and reply.chunks[0][0] - reply.ended_at <= self.reply_timeout:
                latencies.append(round((reply.chunks[0][0] - reply.ended_at) * 1000, 1))
        return {
            "index": self.index,
            "error": self.error,
            "turns": len(self.turns),
            "spoken": len(turns),
            "answered": len(latencies),
            "latency_ms": latencies,
            "greeted": bool(self.replies[0].chunks),
            "replies": [[(round(t, 4), round(a, 4), last) for t, a, last in reply.chunks] for reply in self.replies],
            "clears": self.clears,
            "phase": self.phase.value,
            "connected_s": self.connected_seconds,
        }

    @property
    def connected_seconds(self) -> float:
        if self.connected_at is None:
            return 0.0
        return round((self.hung_up_at or time.perf_counter()) - self.connected_at, 3)


async def _open(http: aiohttp.ClientSession, caller: Caller, url: str, from_number: str) -> None:
    caller.ws = await http.ws_connect(url, max_msg_size=0, autoping=True)
    await caller.ws.send_str(json.dumps({"event": "connected"}))
    await caller.ws.send_str(
        json.dumps(
            {
                "event": "start",
                "sequence_number": "1",
                "stream_sid": STREAM_SID,
                "start": {
                    "stream_sid": STREAM_SID,
                    "call_sid": f"CA_BENCH_{caller.index}",
                    "account_sid": "AC_BENCH",
                    "from": from_number,
                    "to": caller.to,
                    "custom_parameters": {},
                    "media_format": {"encoding": "audio/x-raw", "sample_rate": str(RATE), "bit_rate": "16"},
                },
            }
        )
    )


async def _finish(caller: Caller, reader: asyncio.Task[None]) -> None:
    """Hang up like Exotel (a `stop`, then the socket closes), waiting briefly for the server's close."""
    caller.hung_up_at = time.perf_counter()
    ws = caller.ws
    if ws is not None and not ws.closed:
        try:
            await ws.send_str(
                json.dumps(
                    {
                        "event": "stop",
                        "stop": {
                            "call_sid": f"CA_BENCH_{caller.index}",
                            "account_sid": "AC_BENCH",
                            "reason": "callended",
                        },
                    }
                )
            )
            await asyncio.wait_for(asyncio.shield(reader), 5)
        except (TimeoutError, ConnectionError, aiohttp.ClientError):
            pass
        await ws.close()
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)


async def drive(
    url: str,
    to: str,
    count: int,
    first_index: int,
    speech: list[list[str]],
    ramp: float,
    seconds: float,
    reply_timeout: float,
) -> dict[str, Any]:
    callers = [Caller(first_index + i, to, speech, reply_timeout) for i in range(count)]
    active: list[Caller] = []
    finishing: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    cpu0 = time.process_time()
    stop_at = started + seconds
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        readers: dict[int, asyncio.Task[None]] = {}

        async def connect(caller: Caller, delay: float) -> None:
            await asyncio.sleep(delay)
            try:
                await _open(http, caller, url, f"+9198{caller.index:08d}")
            except Exception as error:
                caller.error, caller.phase = f"connect: {error!r}", Phase.DONE
                return
            readers[caller.index] = loop.create_task(caller.read())
            caller.phase, caller.phase_at = Phase.GREETING, time.perf_counter()
            caller.connected_at = caller.phase_at
            active.append(caller)

        connecting = [loop.create_task(connect(caller, ramp * i / max(1, count))) for i, caller in enumerate(callers)]
        late: list[float] = []
        skipped = 0
        next_at = time.perf_counter()
        while time.perf_counter() < stop_at and (active or not all(task.done() for task in connecting)):
            now = time.perf_counter()
            late.append((now - next_at) * 1000)
            for caller in list(active):
                text = caller.next_frame(now)
                if text is None or caller.ws is None or caller.ws.closed:
                    active.remove(caller)
                    if caller.ws is not None and caller.ws.closed and caller.phase != Phase.DONE:
                        caller.error = caller.error or f"closed by the server while {caller.phase.value}"
                    finishing.append(loop.create_task(_finish(caller, readers[caller.index])))
                    continue
                try:
                    await caller.ws.send_str(text)
                except (ConnectionError, aiohttp.ClientError) as error:
                    caller.error = f"send: {error!r}"
            next_at += FRAME_SECONDS
            behind = time.perf_counter() - next_at
            if behind > FRAME_SECONDS:  # never burst to catch up: skip the lost ticks
                skipped += int(behind / FRAME_SECONDS)
                next_at += int(behind / FRAME_SECONDS) * FRAME_SECONDS
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        for caller in active:
            caller.error = caller.error or f"cut at --seconds while {caller.phase.value}"
            finishing.append(loop.create_task(_finish(caller, readers[caller.index])))
        for task in connecting:
            task.cancel()
        await asyncio.gather(*connecting, *finishing, return_exceptions=True)
    wall = time.perf_counter() - started
    return {
        "calls": [caller.result() for caller in callers],
        "generator": {
            "pid": os.getpid(),
            "cpu_seconds": round(time.process_time() - cpu0, 2),
            "wall_seconds": round(wall, 2),
            "tick_late_ms": spread(late),
            "skipped_ticks": skipped,
        },
    }


def load_phrase(path: Path) -> list[str]:
    """A WAV (8 kHz mono 16-bit) as base64 media payloads of 20 ms, the last one padded with silence."""
    with wave.open(str(path)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (RATE, 1, 2), path
        pcm = wav.readframes(wav.getnframes())
    pcm += bytes(-len(pcm) % FRAME_BYTES)
    return [base64.b64encode(pcm[i : i + FRAME_BYTES]).decode() for i in range(0, len(pcm), FRAME_BYTES)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--to", required=True, help="the inbound flow's number")
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--first-index", type=int, default=0)
    parser.add_argument("--speech", required=True, help="comma-separated WAVs, one per turn")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which the calls connect")
    parser.add_argument("--seconds", type=float, default=120.0, help="hard stop")
    parser.add_argument("--reply-timeout", type=float, default=8.0)
    parser.add_argument("--frame-ms", type=int, default=20, help="audio per media frame, sent every frame-ms")
    args = parser.parse_args()
    global FRAME_SECONDS, FRAME_BYTES, SILENCE
    FRAME_SECONDS, FRAME_BYTES = args.frame_ms / 1000, RATE * 2 * args.frame_ms // 1000
    SILENCE = base64.b64encode(bytes(FRAME_BYTES)).decode()
    if not args.url.startswith(("ws://127.", "ws://localhost", "ws://[::1]")):
        parser.error("--url must be a loopback address")
    speech = [load_phrase(Path(path)) for path in args.speech.split(",")]
    result = asyncio.run(
        drive(args.url, args.to, args.calls, args.first_index, speech, args.ramp, args.seconds, args.reply_timeout)
    )
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
