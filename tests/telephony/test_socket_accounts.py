"""The voicebot socket accepts an organisation's calls only from its connected Exotel account; without an
integration the simulated carrier stands in. The organisation's Sarvam key reaches the call context."""

from __future__ import annotations

import asyncio
import json
import secrets

import aiohttp

from app.db.models import Call
from tests.voice.conftest import create_flow


async def _start(client, server, flow, account_sid: str, connected) -> aiohttp.ClientWebSocketResponse:
    auth = aiohttp.BasicAuth(connected.api_key, connected.api_token)  # Exotel's wss://KEY:TOKEN@ handshake
    ws = await client.http.ws_connect(server.ws_url("/api/voice/ws/exotel"), auth=auth)
    await ws.send_json({"event": "connected"})
    await ws.send_json(
        {
            "event": "start",
            "sequence_number": "1",
            "stream_sid": "S1",
            "start": {
                "stream_sid": "S1",
                "call_sid": "CA-acct-" + account_sid,
                "account_sid": account_sid,
                "from": "+919812345678",
                "to": flow["phone_number"],
                "custom_parameters": {},
                "media_format": {"encoding": "audio/x-raw", "sample_rate": "8000", "bit_rate": "16"},
            },
        }
    )
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
    context = await server.platform.voice.resolver.outbound({"flow_id": flow["uuid"]}, "+919812345678", None)
    assert context.sarvam_api_key == "sk_org_key_9876"
    from app.voice.providers.sarvam import SarvamSTT
    from app.voice.providers.selection import ProviderSelector

    assert isinstance(ProviderSelector(server.settings).stt(context), SarvamSTT)


async def _outbound_call(client, flow: dict, connected) -> Call:
    """A call row as the dialer writes it, with the CallSid Exotel gave it."""
    from app.ids import new_id

    return await Call.create(
        id=new_id("cal"),
        organisation_id=client.organisation_id,
        call_type="outbound",
        flow_id=flow["uuid"],
        to_number="+919812345678",
        status="ringing",
        provider_call_id="CA-" + secrets.token_hex(8),
    )


async def _open_as_exotel(client, server, url: str, account_sid: str, call_id: str | None = None):
    """Open the socket the way Exotel opens an applet URL `wss://USER:PASSWORD@host/path?query`."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    if call_id is not None:
        params["call_id"] = call_id
    auth = aiohttp.BasicAuth(parts.username, parts.password) if parts.username else None
    ws = await client.http.ws_connect(server.ws_url(parts.path), auth=auth)
    await ws.send_json({"event": "connected"})
    await ws.send_json(
        {
            "event": "start",
            "sequence_number": "1",
            "stream_sid": "S1",
            "start": {
                "stream_sid": "S1",
                "call_sid": "CA-1",
                "account_sid": account_sid,
                "from": "+919812345678",
                "to": "+919812345678",
                "custom_parameters": params,
                "media_format": {"encoding": "audio/x-raw", "sample_rate": "8000", "bit_rate": "16"},
            },
        }
    )
    return ws


async def test_the_applets_socket_url_opens_that_one_call_without_the_account_token(
    client, server, connected, anonymous
):
    """The dynamic socket URL is answered without authentication, so it carries per-call credentials,
    never the account's API token; they open only the call they were made for."""
    flow = await create_flow(client, "outbound")
    call, other = await _outbound_call(client, flow, connected), await _outbound_call(client, flow, connected)
    answer = await anonymous.get(
        "/webhooks/exotel/stream", params={"CallSid": call.provider_call_id, "CustomField": call.id}
    )
    url = answer.body["url"]
    assert connected.api_token not in url and connected.api_key not in url
    ws = await _open_as_exotel(client, server, url, connected.account_sid)
    assert await _first_event(ws) == "media"
    await ws.close()
    assert (await Call.get(id=call.id)).status == "in-progress"

    borrowed = await _open_as_exotel(client, server, url, connected.account_sid, call_id=other.id)
    assert await _first_event(borrowed) == "closed"
    forged = await _open_as_exotel(client, server, url.replace("@", "x@", 1), connected.account_sid)
    assert await _first_event(forged) == "closed"
    assert (await Call.get(id=other.id)).status == "ringing"
