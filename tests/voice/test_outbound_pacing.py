"""First agent audio without a pacing wait (issue 15): the first outbound chunk leaves as soon as its audio
is synthesized, the rest is paced in real time one chunk ahead, and Exotel's chunk rules still hold."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import numpy as np
import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from app.voice.audio import frame_bytes, tone
from app.voice.player import AudioPlayer
from app.voice.providers.base import Providers, Voice
from app.voice.providers.scripted_llm import ScriptedPolicy
from app.voice.routes import voice_routes
from app.voice.runtime import VoiceRuntime
from app.voice.session_config import SessionConfig
from app.voice.transports.exotel import PACING_MARGIN
from app.voice.utterance import Utterance, UtteranceState
from tests.conftest import free_port
from tests.voice.conftest import create_flow
from tests.voice.exotel_client import ExotelCaller
from tests.voice.fakes import FakeClock, FakeOutput, RecordingReporter, ScriptedSTT

FRAME = 0.02


class StampedTTS:
    """100 ms of tone per word, all of a sentence at once; notes when the first audio of each sentence exists."""

    ready_at: list[float] = []

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncIterator[bytes]:
        await asyncio.sleep(0)
        StampedTTS.ready_at.append(time.monotonic())
        yield tone(rate, 100 * len(text.split()), 500, 3000)


class TimedCaller(ExotelCaller):
    """Exotel's side, noting when each frame arrived."""

    def __init__(self, *args, **kwargs) -> None:
        self.arrived: list[tuple[float, dict]] = []
        super().__init__(*args, **kwargs)

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                frame = json.loads(message.data)
                self.arrived.append((time.monotonic(), frame))
                self.received.append(frame)
                if frame["event"] == "mark" and self.ack_marks:
                    await self.send({"event": "mark", "stream_sid": "SID1", "mark": frame["mark"]})
        self.closed.set()

    def media_times(self) -> list[float]:
        return [t for t, frame in self.arrived if frame["event"] == "media"]


@pytest_asyncio.fixture(scope="module")
async def stamped_server(server):
    """`/ws/exotel` with a TTS that notes when its audio exists."""

    def providers(context) -> Providers:
        return Providers(stt=ScriptedSTT(), tts=StampedTTS(), llm=ScriptedPolicy(context.script))

    runtime = VoiceRuntime(
        RecordingReporter, providers=providers, start_timeout=3, session=SessionConfig(silence_timeout=30)
    )
    app = Starlette(
        routes=[Mount("/api/voice", routes=voice_routes(server.platform.voice, RecordingReporter, runtime))]
    )
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        await asyncio.sleep(0.01)
    yield f"ws://127.0.0.1:{port}/api/voice/ws/exotel"
    uv.should_exit = True
    await task


GREETING = (
    "Hello and welcome, this is Aria from Luminary Home, and I am calling about the spring sale on "
    "sofas, chairs and tables in every one of our stores."
)  # 24 words: 2.4 s of audio


@pytest.mark.parametrize("encoding,chunk_seconds", [("audio/x-raw", 0.2), ("audio/x-mulaw", 0.4)])
async def test_the_first_chunk_leaves_as_soon_as_its_audio_exists_and_the_rest_is_paced(
    http, client, stamped_server, encoding, chunk_seconds
):
    flow = await create_flow(client, recording_disclosure=GREETING)
    StampedTTS.ready_at.clear()
    caller = await TimedCaller.connect(http, stamped_server, mulaw="mulaw" in encoding)
    await caller.start(to=flow["phone_number"], encoding=encoding)
    await caller.wait_for(lambda: caller.events("mark"), timeout=10)
    times = caller.media_times()
    first_audio = times[0] - StampedTTS.ready_at[0]
    # Not the chunk of real-time pacing it used to wait (200 ms; mu-law 400 ms); half a chunk leaves room for a
    # loaded machine (the suite runs in several processes on two cores).
    assert first_audio < chunk_seconds / 2, first_audio
    # Steady state: one chunk per chunk of audio, never more than one chunk (plus margin) ahead of real time.
    gaps = np.diff(times[1:-1])
    assert abs(np.median(gaps) - chunk_seconds) < 0.03, gaps
    for index, at in enumerate(times):
        assert index * chunk_seconds - (at - times[0]) <= chunk_seconds + PACING_MARGIN + 0.03, (index, at)
    sizes = [len(payload) for payload in caller.payloads()]
    assert all(size % 320 == 0 and size >= 3200 for size in sizes) and len(set(sizes[:-1])) == 1
    await caller.stop()
    await caller.close()


# --- the player, on a fake clock -------------------------------------------------------------------


async def play(lead: float, frames: int = 30) -> FakeOutput:
    clock = FakeClock()
    output = FakeOutput(clock)

    async def settle(utterance: Utterance, state: UtteranceState) -> None:
        utterance.state = state

    player = AudioPlayer(output, clock, settle, mark_timeout=1.0, lead=lead)
    task = asyncio.create_task(player.run())
    utterance = Utterance(16000)
    utterance.add_audio(b"\x01\x00" * (frames * frame_bytes(16000) // 2))
    utterance.end_sentence("words")
    utterance.finish()
    player.enqueue(utterance)
    output.session = type("Marks", (), {"mark_played": player.mark_played})()
    for _ in range(int(frames * FRAME / 0.01) + 20):
        await clock.advance(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return output


async def test_the_player_sends_its_lead_at_once_then_one_frame_per_20_ms():
    times = np.array((await play(lead=0.1)).times("audio"))
    start = times[0]
    assert (times[:6] == start).all()  # 100 ms of lead, plus the frame due now
    assert np.allclose(np.diff(times[6:]), FRAME)
    assert np.allclose(times - start, np.maximum(0, np.arange(len(times)) * FRAME - 0.1))


async def test_without_a_lead_the_player_paces_every_frame():
    times = np.array((await play(lead=0.0)).times("audio"))
    assert np.allclose(np.diff(times), FRAME)
