"""The voicebot socket accepts an organisation's calls only from its connected Exotel account; without an
integration the simulated carrier stands in. The organisation's Sarvam key reaches the call context."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from app.db.models import Call
from tests.voice.conftest import create_flow


async def _start(client, server, flow, account_sid: str, connected) -> aiohttp.ClientWebSocketResponse:
    auth = aiohttp.BasicAuth(connected.api_key, connected.api_token)  # Exotel's wss://KEY:TOKEN@ handshake
    ws = await client.http.ws_connect(server.ws_url("/api/voice/ws/exotel"), auth=auth)
    await ws.send_json({"event": "connected"})
    await ws.send_json({"event": "start", "sequence_number": "1", "stream_sid": "S1", "start": {
        "stream_sid": "S1", "call_sid": "CA-acct-" + account_sid, "account_sid": account_sid,
        "from": "+919812345678", "to": flow["phone_number"], "custom_parameters": {},
        "media_format": {"encoding": "audio/x-raw", "sample_rate": "8000", "bit_rate": "16"}}})
    return ws


async def _first_event(ws) -> str:
    message = await asyncio.wait_for(ws.receive(), 20)
    if message.type != aiohttp.WSMsgType.TEXT:
        return "closed"
    return json.loads(message.data)["event"]


async def test_a_foreign_account_sid_is_refused_once_exotel_is_connected(client, server, connected):
    flow = await create_flow(client, "inbound")
    ws = await _start(client, server, flow, "acct_stranger", connected)
    assert await _first_event(ws) == "closed"
    assert not await Call.exists(organisation_id=client.organisation_id, flow_id=flow["uuid"])


async def test_the_connected_account_sid_is_answered(client, server, connected):
    flow = await create_flow(client, "inbound")
    ws = await _start(client, server, flow, connected.account_sid, connected)
    assert await _first_event(ws) == "media"
    await ws.close()


async def test_the_resolver_carries_the_organisations_sarvam_key(client, server):
    flow = await create_flow(client, "outbound")
    assert (await client.put("/integrations/voice/sarvam", json={"api_key": "sk_org_key_9876"})).status == 200
    from app.voice.routes import _resolver

    context = await _resolver(server.platform).outbound({"flow_id": flow["uuid"]}, "+919812345678", None)
    assert context.sarvam_api_key == "sk_org_key_9876"
    from app.voice.providers.selection import ProviderSelector
    from app.voice.providers.sarvam import SarvamSTT

    assert isinstance(ProviderSelector(server.settings).stt(context), SarvamSTT)
