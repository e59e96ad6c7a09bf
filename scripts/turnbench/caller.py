"""One benchmark call over a real Exotel socket, in real time: a 20 ms media frame every 20 ms (silence, the
scenario's audio, background noise mixed in), every `mark` echoed at once as Exotel does, and every agent
chunk, mark and `clear` time-stamped on arrival."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field

import aiohttp
import numpy as np

from app.voice.audio import mulaw_encode
from scripts.turnbench.corpus import RATE, Anchor, Scenario, background

FRAME = 0.02
FRAME_BYTES = RATE * 2 // 50
LISTEN_AFTER = 4.5  # seconds of listening after the caller's last audio
GREETING_TIMEOUT = 15.0


@dataclass
class Heard:
    """What came back, on the caller's clock (seconds since the call's `start`)."""

    chunks: list[tuple[float, float]] = field(default_factory=list)  # (arrival, seconds of audio)
    marks: list[float] = field(default_factory=list)
    clears: list[float] = field(default_factory=list)
    first_audio: float | None = None
    speech_at: float = 0.0  # when the scenario's audio began
    spans: list[tuple[float, float]] = field(default_factory=list)  # voiced spans of the caller, absolute
    error: str | None = None


def _mix(frame: bytes, noise: bytes) -> bytes:
    a = np.frombuffer(frame, dtype="<i2").astype(np.int32) + np.frombuffer(noise, dtype="<i2").astype(np.int32)
    return np.clip(a, -32768, 32767).astype("<i2").tobytes()


async def run_call(url: str, to: str, scenario: Scenario) -> Heard:
    heard = Heard()
    audio, spans = scenario.audio()
    total = 30.0
    noise = background(audio, scenario.background_snr, total) if scenario.background_snr is not None else None
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url)
        t0 = time.perf_counter()

        def clock():
            return time.perf_counter() - t0

        async def read() -> None:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                now, frame = clock(), json.loads(message.data)
                if frame["event"] == "media":
                    size = len(base64.b64decode(frame["media"]["payload"]))
                    heard.chunks.append((now, size / (1 if scenario.mulaw else 2) / RATE))
                    if heard.first_audio is None:
                        heard.first_audio = now
                elif frame["event"] == "mark":
                    heard.marks.append(now)
                    await ws.send_str(json.dumps({"event": "mark", "stream_sid": "SID", "mark": frame["mark"]}))
                elif frame["event"] == "clear":
                    heard.clears.append(now)

        reader = asyncio.create_task(read())
        encoding = "audio/x-mulaw" if scenario.mulaw else "audio/x-raw"
        await ws.send_str(json.dumps({"event": "connected"}))
        await ws.send_str(
            json.dumps(
                {
                    "event": "start",
                    "sequence_number": "1",
                    "stream_sid": "SID",
                    "start": {
                        "stream_sid": "SID",
                        "call_sid": f"CA{id(heard)}",
                        "account_sid": "AC1",
                        "from": "+919812345678",
                        "to": to,
                        "custom_parameters": {},
                        "media_format": {"encoding": encoding, "sample_rate": str(RATE), "bit_rate": "16"},
                    },
                }
            )
        )
        start_at: float | None = None
        position, sequence, tick = 0, 0, 0
        try:
            while True:
                now = clock()
                if start_at is None:
                    if scenario.anchor == Anchor.INTO_GREETING and heard.first_audio is not None:
                        start_at = heard.first_audio + scenario.lead
                    elif scenario.anchor == Anchor.AFTER_GREETING and heard.marks:
                        start_at = heard.marks[0] + 0.3 + scenario.lead
                    elif now > GREETING_TIMEOUT:
                        start_at = now
                    if start_at is not None:
                        heard.speech_at = start_at
                        heard.spans = [(start_at + a, start_at + b) for a, b in spans]
                frame = bytes(FRAME_BYTES)
                if start_at is not None and now >= start_at and position < len(audio):
                    frame = audio[position : position + FRAME_BYTES].ljust(FRAME_BYTES, b"\0")
                    position += FRAME_BYTES
                if noise is not None:
                    at = (tick * FRAME_BYTES) % (len(noise) - FRAME_BYTES)
                    frame = _mix(frame, noise[at : at + FRAME_BYTES])
                payload = mulaw_encode(frame) if scenario.mulaw else frame
                sequence += 1
                await ws.send_str(
                    json.dumps(
                        {
                            "event": "media",
                            "sequence_number": str(sequence),
                            "stream_sid": "SID",
                            "media": {
                                "chunk": str(sequence),
                                "timestamp": str(sequence * 20),
                                "payload": base64.b64encode(payload).decode(),
                            },
                        }
                    )
                )
                tick += 1
                listened = (
                    start_at is not None
                    and position >= len(audio)
                    and now > start_at + len(audio) / 2 / RATE + LISTEN_AFTER
                )
                greeting_over = scenario.anchor != Anchor.INTO_GREETING or heard.marks or now > GREETING_TIMEOUT * 2
                if listened and greeting_over:
                    break

                await asyncio.sleep(max(0.0, tick * FRAME - clock()))
            await ws.send_str(json.dumps({"event": "stop", "stop": {"call_sid": "CA1", "reason": "callended"}}))
        except (ConnectionError, aiohttp.ClientError) as error:
            heard.error = repr(error)
        finally:
            await ws.close()
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    return heard
