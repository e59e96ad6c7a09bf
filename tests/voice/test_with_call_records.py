"""The pipeline with the platform's real CallReporter: a browser-test call becomes a call record with its
transcript, outcome, analysis and recording, and `POST /calls/{uuid}/end` reaches the live session."""

from __future__ import annotations

import asyncio
import io
import json
import wave

import aiohttp
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from app.turn_taking.config import TurnTakingConfig, VadKind
from app.voice.audio import silence
from app.voice.providers.base import Providers
from app.voice.providers.scripted_llm import ScriptedPolicy
from app.voice.routes import voice_routes
from app.voice.runtime import VoiceRuntime
from app.voice.session_config import SessionConfig
from app.voice.vad import EndpointConfig
from tests.conftest import free_port
from tests.voice.conftest import create_flow, fresh_line
from tests.voice.exotel_client import ExotelCaller
from tests.voice.fakes import ScriptedSTT, ToneTTS
from tests.voice.speech import spoken

# tests send only a little silence after a turn: it closes after 300 ms unless it reads as unfinished
QUICK_TURNS = TurnTakingConfig(min_endpoint_ms=200, endpoint_ms=300, vad=VadKind.SILERO)  # not auto: see harness


@pytest_asyncio.fixture(scope="session")
async def platform_voice(server):
    """`voice_routes` mounted the way the lead mounts it: `reporter_factory` returns the platform's reporter."""
    stt = ScriptedSTT()
    platform = server.platform

    def providers(context) -> Providers:
        return Providers(stt=stt, tts=ToneTTS(), llm=ScriptedPolicy(context.script))

    runtime = VoiceRuntime(
        lambda: platform.reporter,
        providers=providers,
        session=SessionConfig(
            endpoint=EndpointConfig(endpoint_ms=300), turn_taking=QUICK_TURNS, recordings=platform.blob_store
        ),
    )
    app = Starlette(
        routes=[Mount("/api/voice", routes=voice_routes(platform.voice, lambda: platform.reporter, runtime))]
    )
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        await asyncio.sleep(0.01)
    yield f"ws://127.0.0.1:{port}/api/voice", stt
    uv.should_exit = True
    await task


async def events_until(ws, predicate, timeout: float = 10) -> list[dict]:
    events: list[dict] = []

    async def loop():
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                events.append(json.loads(message.data))
                if predicate(events):
                    return

    await asyncio.wait_for(loop(), timeout)
    return events


async def until_call(client, predicate, path: str = "/calls", timeout: float = 10):
    for _ in range(int(timeout / 0.3)):  # gently: the API is rate limited
        listed = await client.get(path)
        calls = listed.body.get("calls", listed.body) if isinstance(listed.body, dict) else listed.body
        assert isinstance(calls, list), listed.body
        if calls and predicate(calls[0]):
            return calls[0]
        await asyncio.sleep(0.3)
    raise AssertionError(f"call never matched: {listed.body}")


async def test_a_browser_test_call_is_recorded_as_a_test_call_with_transcript_and_analysis(
    http, client, platform_voice
):
    base, stt = platform_voice
    flow = await create_flow(client)
    ws = await http.ws_connect(f"{base}/ws/browser-test/{flow['uuid']}?token={client.token}")
    await events_until(ws, lambda e: any(x.get("speaker") == "agent" for x in e))
    stt.expect("Do you deliver to Mumbai?")
    pcm = spoken("Do you deliver to Mumbai?", 16000) + silence(16000, 500)
    for start in range(0, len(pcm), 3200):
        await ws.send_bytes(pcm[start : start + 3200])
    await events_until(ws, lambda e: any(x.get("text") == "Yes, within five days." for x in e))
    await ws.send_str(json.dumps({"type": "stop"}))
    await events_until(ws, lambda e: any(x["type"] == "end" for x in e))
    await ws.close()

    listed = await until_call(client, lambda c: c.get("ended_at") and c.get("summary"))
    call = (await client.get(f"/calls/{listed['uuid']}")).body
    assert call["call_type"] == "test" and call["flow_uuid"] == flow["uuid"] and call["outcome"] == "connected"
    assert [(t["speaker"], t["text"]) for t in call["transcript"]] == [
        ("agent", "Hi, Aria here."),
        ("customer", "Do you deliver to Mumbai?"),
        ("agent", "Yes, within five days."),
    ]
    assert call["key_details"]["extraction"]["schema_version"] == "1.0"
    url = client.server.url(f"/api/voice/calls/{listed['uuid']}/recording")
    async with http.get(url, headers=client.headers()) as recording:
        assert recording.status == 200 and "wav" in recording.content_type
        audio = await recording.read()
    with wave.open(io.BytesIO(audio)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, 16000)  # caller left, agent right


async def test_ending_a_live_call_through_the_api_reaches_the_session(http, client, platform_voice):
    base, _ = platform_voice
    flow = await create_flow(client)
    ws = await http.ws_connect(f"{base}/ws/browser-test/{flow['uuid']}?token={client.token}")
    await events_until(ws, lambda e: any(x.get("speaker") == "agent" for x in e))
    live = await until_call(client, lambda c: c.get("status") == "in-progress", "/calls/live")
    answer = await client.post(f"/calls/{live['uuid']}/end", json={"reason": "workflow_close"})
    assert answer.status == 200, answer.body
    events = await events_until(ws, lambda e: any(x["type"] == "end" for x in e))
    assert events[-1]["end_reason"] == "workflow_close"
    await ws.close()


async def exotel_call(http, base: str, flow: dict, customer: dict) -> None:
    caller = await ExotelCaller.connect(http, f"{base}/ws/exotel")
    await caller.start(
        to="+918000000000", from_=customer["phone"], params={"flow_id": flow["uuid"], "customer_id": customer["uuid"]}
    )
    await caller.wait_for(lambda: caller.events("mark"))
    await caller.stop()
    await caller.close()


async def test_a_customer_who_opted_out_of_recording_has_no_recording_to_download(http, client, platform_voice):
    base, _ = platform_voice
    flow = await create_flow(client, kind="outbound")
    recordings = {}
    for name, metadata in (("Asha", {"recording_opt_out": "yes"}), ("Ravi", {"recording_opt_out": "no"})):
        customer = await client.post("/customers", json={"name": name, "phone": fresh_line(), "metadata": metadata})
        assert customer.status == 201, customer.body
        await exotel_call(http, base, flow, customer.body)
        listed = await until_call(client, lambda c: c.get("ended_at") and c["customer_uuid"] == customer.body["uuid"])
        call = (await client.get(f"/calls/{listed['uuid']}")).body
        async with http.get(
            client.server.url(f"/api/voice/calls/{listed['uuid']}/recording"), headers=client.headers()
        ) as answer:
            recordings[name] = (call["recording_url"] is None, answer.status, await answer.read())
    assert recordings["Asha"] == (True, 404, b'{"detail":"Recording not found"}')
    assert recordings["Ravi"][:2] == (False, 200) and recordings["Ravi"][2][:4] == b"RIFF"
