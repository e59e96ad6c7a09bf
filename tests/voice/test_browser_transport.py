"""The browser test socket: the same session as a phone call, fed by a microphone, answering with audio
frames and transcript events; only the flow's own organisation may use it."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from app.calls.contract import CallType, Speaker
from app.voice.audio import rms, silence
from tests.voice.conftest import create_flow
from tests.voice.speech import spoken


async def read_until(ws, predicate, timeout: float = 10) -> tuple[list[bytes], list[dict]]:
    audio, events = [], []

    async def loop():
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                audio.append(message.data)
            elif message.type == aiohttp.WSMsgType.TEXT:
                events.append(json.loads(message.data))
            if predicate(events):
                return

    await asyncio.wait_for(loop(), timeout)
    return audio, events


async def test_a_browser_test_call_speaks_listens_and_shows_the_transcript(http, client, voice_server):
    flow = await create_flow(client)
    ws = await http.ws_connect(voice_server.ws(f"/ws/browser-test/{flow['uuid']}?token={client.token}"))
    audio, events = await read_until(ws, lambda e: any(x.get("speaker") == "agent" for x in e))
    assert rms(b"".join(audio)) > 500 and all(len(a) == 640 for a in audio)  # 20 ms of 16 kHz PCM16
    greeting = dict(events[0])
    assert 0 <= greeting.pop("timestamp") < 0.5  # the greeting starts at once (the loop's timing aside)
    assert greeting == {"type": "transcript", "speaker": "agent", "text": "Hi, Aria here."}
    voice_server.stt.expect("Do you deliver to Mumbai?")
    pcm = spoken("Do you deliver to Mumbai?", 16000) + silence(16000, 600)
    for start in range(0, len(pcm), 4096):  # the browser's own buffer size, not 20 ms
        await ws.send_bytes(pcm[start : start + 4096])
    _, events = await read_until(ws, lambda e: sum(x.get("speaker") == "agent" for x in e) >= 1)
    said = [(e["speaker"], e["text"]) for e in events if e["type"] == "transcript"]
    assert said == [("customer", "Do you deliver to Mumbai?"), ("agent", "Yes, within five days.")]
    await ws.send_str(json.dumps({"type": "stop"}))
    _, events = await read_until(ws, lambda e: any(x["type"] == "end" for x in e))
    assert events[-1]["end_reason"] == "caller_hangup"
    reporter = await voice_server.ended()
    assert reporter.starts[0].call_type == CallType.TEST and reporter.starts[0].flow_id == flow["uuid"]
    assert reporter.said(Speaker.CUSTOMER) == ["Do you deliver to Mumbai?"]
    await ws.close()


async def test_a_bad_token_or_another_organisations_flow_is_refused(http, client, other_client, voice_server):
    flow = await create_flow(client)
    for url, code in (
        (f"/ws/browser-test/{flow['uuid']}?token=nn_k_bogus", 4401),
        (f"/ws/browser-test/{flow['uuid']}", 4401),
        (f"/ws/browser-test/{flow['uuid']}?token={other_client.token}", 4404),
        (f"/ws/browser-test/flw_missing?token={client.token}", 4404),
    ):
        ws = await http.ws_connect(voice_server.ws(url))
        message = await ws.receive(timeout=5)
        assert message.type == aiohttp.WSMsgType.CLOSE and ws.close_code == code, url
        await ws.close()
    assert voice_server.reporters == []
