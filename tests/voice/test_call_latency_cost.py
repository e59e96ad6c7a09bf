"""Issue 17 on real calls over the Exotel socket: the providers are local servers speaking Sarvam's and
OpenAI's protocols with known behaviour (the LLM waits 300 ms before its first token), the call record is the
platform's own. Every latency field shows up on `GET /calls/{uuid}`, in the live events and in Prometheus,
and the usage matches what the fakes were sent."""

from __future__ import annotations

import asyncio

import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from app.latency.turns import STAGES
from app.turn_taking.config import TurnTakingConfig
from app.voice.audio import silence
from app.voice.providers.base import Providers
from app.voice.providers.openai_llm import OpenAICompatibleLLM
from app.voice.providers.sarvam import SarvamSTT, SarvamTTS
from app.voice.routes import voice_routes
from app.voice.runtime import VoiceRuntime
from app.voice.session_config import SessionConfig
from app.voice.vad import EndpointConfig
from tests.conftest import free_port
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sarvam_server import FakeSarvam
from tests.voice.conftest import create_flow
from tests.voice.exotel_client import ExotelCaller
from tests.voice.speech import spoken
from tests.voice.test_with_call_records import until_call

LLM_DELAY = 0.3


@pytest_asyncio.fixture
async def fakes():
    sarvam, openai = (
        await FakeSarvam(transcript="Do you deliver to Mumbai?").start(),
        await FakeOpenAI(text_pieces=["Yes,", " within five days."], first_token_delay=LLM_DELAY).start(),
    )
    yield sarvam, openai
    await sarvam.stop()
    await openai.stop()


@pytest_asyncio.fixture
async def measured_voice(server, fakes):
    """`voice_routes` with the platform's reporter and metrics, and remote providers on the fakes."""
    sarvam, openai = fakes
    platform = server.platform

    def providers(context) -> Providers:
        return Providers(
            stt=SarvamSTT(sarvam.key, sarvam.url),
            tts=SarvamTTS(sarvam.key, sarvam.url),
            llm=OpenAICompatibleLLM("sk-local", "gpt-4o-mini", base_url=openai.url),
        )

    runtime = VoiceRuntime(
        lambda: platform.reporter,
        providers=providers,
        metrics=platform.metrics,
        session=SessionConfig(endpoint=EndpointConfig(endpoint_ms=300), turn_taking=TurnTakingConfig(endpoint_ms=300)),
    )
    routes = voice_routes(platform.voice, lambda: platform.reporter, runtime)
    app = Starlette(routes=[Mount("/api/voice", routes=routes)])
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        await asyncio.sleep(0.01)
    yield f"ws://127.0.0.1:{port}/api/voice"
    uv.should_exit = True
    await task


async def test_a_reply_shows_its_latency_stages_and_the_call_its_usage_and_cost(
    http, client, server, fakes, measured_voice
):
    sarvam, openai = fakes
    flow = await create_flow(client)
    caller = await ExotelCaller.connect(http, f"{measured_voice}/ws/exotel")
    await caller.start(to=flow["phone_number"])
    await caller.wait_for(lambda: caller.events("mark"))
    await caller.play(spoken("Do you deliver to Mumbai?", 8000) + silence(8000, 700), realtime=1)
    live_call = await until_call(client, lambda c: True, "/calls/live")
    # live: the reply's transcript event carries its latency while the call still runs (what a supervisor sees)
    measured: list[dict] = []
    for _ in range(100):
        events = await server.platform.call_events.replay(live_call["uuid"])
        measured = [e for e in events if e["type"] == "transcript" and e.get("latency")]
        if measured:
            break
        await asyncio.sleep(0.1)
    assert len(measured) == 1 and len(caller.events("mark")) >= 2
    await caller.stop()
    await caller.close()

    listed = await until_call(client, lambda c: c.get("ended_at") is not None)
    call = (await client.get(f"/calls/{listed['uuid']}")).body
    agent = [turn for turn in call["transcript"] if turn["speaker"] == "agent"]
    assert [turn["text"] for turn in agent] == ["Hi, Aria here.", "Yes, within five days."]
    assert agent[0]["latency"] is None  # the greeting answers no caller turn
    latency = agent[1]["latency"]
    assert 300 <= latency["llm_ms"] < 300 + 250, latency  # the fake waited 300 ms before its first token
    assert latency["endpoint_ms"] == 300  # the endpointing window
    for stage in STAGES:
        assert latency[stage] is not None and latency[stage] >= 0, (stage, latency)
    # consecutive stages, each rounded to a ms on its own: they add up to voice-to-voice within rounding
    assert abs(sum(latency[stage] for stage in STAGES) - latency["voice_to_voice_ms"]) <= len(STAGES)
    assert latency["voice_to_voice_ms"] >= 600 and not latency["interrupted"]
    assert latency["heard_ms"] == latency["spoken_ms"] > 0
    assert latency["providers"] == {"stt": "sarvam", "llm": "openai", "tts": "sarvam"}
    assert call["latency"] == {
        "turns": 1,
        "interrupted": 0,
        "p50_voice_to_voice_ms": latency["voice_to_voice_ms"],
        "p95_voice_to_voice_ms": latency["voice_to_voice_ms"],
        "max_voice_to_voice_ms": latency["voice_to_voice_ms"],
    }

    usage = call["usage"]
    assert usage["stt_audio_seconds"] == round(sum(r["seconds"] for r in sarvam.stt_requests), 2) > 1.0
    assert (
        usage["tts_characters"]
        == sum(len(r["text"]) for r in sarvam.tts_requests)
        == len("Hi, Aria here.") + len("Yes, within five days.")
    )
    streamed = [r for r in openai.requests if r.get("stream")]
    assert (usage["llm_input_tokens"], usage["llm_output_tokens"], usage["llm_tokens_estimated"]) == (
        57 * len(streamed),
        2 * len(streamed),
        False,
    )  # what the fake reported
    assert usage["telephony_seconds"] == call["duration"]
    kinds = {use["kind"]: (use["provider"], use["model"]) for use in usage["providers"]}
    assert kinds["llm"] == ("openai", "gpt-4o-mini") and kinds["stt"][0] == "sarvam" and kinds["tts"][0] == "sarvam"

    cost = call["cost"]
    lines = {line["meter"]: line for line in cost["lines"]}
    assert cost["currency"] == "INR" and all(line["is_default_price"] for line in cost["lines"])
    assert lines["stt"]["unit_price"] == 0.5 and lines["stt"]["quantity"] == round(usage["stt_audio_seconds"] / 60, 6)
    assert lines["tts"]["unit_price"] == 1.5 and lines["llm_input"]["unit_price"] == 12.75
    assert abs(cost["total"] - sum(line["amount"] for line in cost["lines"])) < 0.01

    assert listed["uuid"] == live_call["uuid"] and measured[0]["latency"] == latency
    # Prometheus: the stage histograms by provider and the voice-to-voice histogram by the call's providers
    metrics = server.platform.metrics.render().decode()
    assert 'voiceai_turn_stage_seconds_count{provider="openai",stage="llm"}' in metrics
    assert 'voiceai_voice_to_voice_seconds_count{llm="openai",stt="sarvam",tts="sarvam"}' in metrics
