"""Subscriptions over graphql-transport-ws: authenticated once per connection, scoped to the organisation."""

from __future__ import annotations

import asyncio

import aiohttp

PROTOCOL = "graphql-transport-ws"
SUBSCRIBE = "subscription { agentChanges { change agent { uuid name isActive } } }"


async def connect(client, payload):
    ws = await client.http.ws_connect(client.server.ws_url("/api/voice/graphql"), protocols=(PROTOCOL,))
    await ws.send_json({"type": "connection_init", "payload": payload})
    return ws


async def next_message(ws, timeout=5.0):
    while True:
        message = await asyncio.wait_for(ws.receive(), timeout)
        if message.type != aiohttp.WSMsgType.TEXT:
            return message
        data = message.json()
        if data["type"] not in ("ping", "pong", "ka"):
            return data


async def test_agent_changes_stream_to_the_organisation_only(client, other_client):
    ws = await connect(client, {"token": client.token})
    assert (await next_message(ws))["type"] == "connection_ack"
    await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
    await asyncio.sleep(0.2)  # the subscription registers on the bus before anything is published
    await other_client.post("/agents", json={"name": "Theirs", "role": "r"})
    created = (await client.post("/agents", json={"name": "Aria", "role": "Sales"})).body
    await client.delete(f"/agents/{created['uuid']}")
    first = await next_message(ws)
    assert first["type"] == "next"
    assert first["payload"]["data"]["agentChanges"] == {
        "change": "created",
        "agent": {"uuid": created["uuid"], "name": "Aria", "isActive": True},
    }
    second = await next_message(ws)
    assert second["payload"]["data"]["agentChanges"]["change"] == "deleted"
    await ws.send_json({"id": "1", "type": "complete"})
    await ws.close()


async def test_a_connection_with_a_bad_token_is_refused(client):
    ws = await connect(client, {"token": "nn_k_not-a-key"})
    message = await next_message(ws)
    assert message.type == aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 4403
    await ws.close()


async def test_the_token_may_come_in_the_url(client):
    ws = await client.http.ws_connect(
        client.server.ws_url(f"/api/voice/graphql?token={client.token}"), protocols=(PROTOCOL,)
    )
    await ws.send_json({"type": "connection_init", "payload": {}})
    assert (await next_message(ws))["type"] == "connection_ack"
    await ws.close()
