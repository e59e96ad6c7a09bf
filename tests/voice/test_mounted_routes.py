"""The voice sockets as the platform serves them (app/main.py), with the default offline providers and
the real call record: an inbound Exotel call is greeted, is live while it lasts, and is recorded when
the caller hangs up; the browser tester needs a valid token."""

from __future__ import annotations

import asyncio
import base64
import json

import aiohttp

from tests.voice.conftest import create_flow


async def receive_json(ws, timeout: float = 20.0) -> dict:
    message = await asyncio.wait_for(ws.receive(), timeout)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)


async def test_an_inbound_exotel_call_is_greeted_live_and_recorded(client, server):
    flow = await create_flow(client, "inbound")
    sid = server.platform.simulator_account_sid  # the simulated carrier's line: this organisation has no Exotel
    ws = await client.http.ws_connect(
        server.ws_url("/api/voice/ws/exotel?sample-rate=8000"), auth=aiohttp.BasicAuth("simulator", sid)
    )
    await ws.send_json({"event": "connected"})
    await ws.send_json(
        {
            "event": "start",
            "sequence_number": "1",
            "stream_sid": "S1",
            "start": {
                "stream_sid": "S1",
                "call_sid": "CA-mounted-1",
                "account_sid": sid,
                "from": "+919812345678",
                "to": flow["phone_number"],
                "custom_parameters": {},
                "media_format": {"encoding": "audio/x-raw", "sample_rate": "8000", "bit_rate": "16"},
            },
        }
    )
    first = await receive_json(ws)
    while first["event"] != "media":
        first = await receive_json(ws)
    audio = base64.b64decode(first["media"]["payload"])
    assert len(audio) % 320 == 0 and len(audio) >= 3200

    live = (await client.get("/calls/live")).body
    assert [call["flow_uuid"] for call in live["calls"]] == [flow["uuid"]]

    mark = first
    while mark["event"] != "mark":  # the greeting ends with a mark; Exotel echoes it once played
        mark = await receive_json(ws)
    await ws.send_json({"event": "mark", "sequence_number": "2", "stream_sid": "S1", "mark": mark["mark"]})
    await asyncio.sleep(0.3)

    await ws.send_json(
        {
            "event": "stop",
            "sequence_number": "3",
            "stream_sid": "S1",
            "stop": {"call_sid": "CA-mounted-1", "account_sid": sid, "reason": "callended"},
        }
    )
    await ws.close()
    for _ in range(200):
        calls = (await client.get("/calls", params={"flow_uuid": flow["uuid"]})).body["calls"]
        if calls and calls[0]["ended_at"]:
            break
        await asyncio.sleep(0.05)
    call = (await client.get(f"/calls/{calls[0]['uuid']}")).body
    assert call["call_type"] == "inbound" and call["ended_at"] is not None
    assert call["transcript"][0]["speaker"] == "agent"
    assert "Aria" in call["transcript"][0]["text"]


async def test_the_platforms_exotel_socket_wants_credentials_once_exotel_is_connected(client, server, exotel):
    flow = await create_flow(client, "inbound")
    ws = await client.http.ws_connect(server.ws_url("/api/voice/ws/exotel?sample-rate=8000"))
    await ws.send_json(
        {
            "event": "start",
            "sequence_number": "1",
            "stream_sid": "S1",
            "start": {
                "stream_sid": "S1",
                "call_sid": "CA-mounted-2",
                "account_sid": exotel.account_sid,
                "from": "+919812345678",
                "to": flow["phone_number"],
                "custom_parameters": {},
                "media_format": {"encoding": "audio/x-raw", "sample_rate": "8000", "bit_rate": "16"},
            },
        }
    )
    message = await asyncio.wait_for(ws.receive(), 10)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED) and ws.close_code == 1008
    assert (await client.get("/calls", params={"flow_uuid": flow["uuid"]})).body["calls"] == []
    await ws.close()


async def test_the_browser_tester_refuses_a_bad_token(client, server):
    flow = await create_flow(client, "outbound")
    ws = await client.http.ws_connect(server.ws_url(f"/api/voice/ws/browser-test/{flow['uuid']}?token=nn_k_wrong"))
    message = await asyncio.wait_for(ws.receive(), 10)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code in (1008, 4401)
    await ws.close()
