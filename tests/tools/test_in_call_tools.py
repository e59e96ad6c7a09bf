"""Issue 16 §1 end to end over the Exotel socket: the agent calls the workflow service's tool during the call
(scripted policy and an OpenAI-compatible model), a slow tool gets the waiting line and stays interruptible,
a failing one gets an apology and the call goes on; every invocation is on the call record."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import pytest_asyncio

from app.db.models import WebhookDelivery
from tests.tools.world import ToolsWorld, start_world


@pytest_asyncio.fixture(scope="session")
async def world_session(start_server, http):
    world, (server, task) = await start_world(start_server, http)
    yield world
    server.should_exit = True
    await task
    await world.tools.stop()
    await world.model.stop()


@pytest_asyncio.fixture
async def world(world_session) -> ToolsWorld:
    world_session.stt.queue.clear()
    world_session.tools.requests.clear()
    world_session.tools.slow_seconds = 2.0
    world_session.model.requests.clear()
    world_session.model.turns.clear()
    return world_session


async def test_the_scripted_policy_calls_the_flows_tool_and_speaks_its_answer(http, world):
    flow = await world.flow(llm="scripted", speak_while_waiting="Just a second.")
    caller, call_id = await world.call(http, flow)
    await world.say(caller, "Where is my order one two three")
    turns = await world.transcript(call_id, "Your order is shipped")
    assert turns[-3:] == [
        ("customer", "Where is my order one two three"),
        ("agent", "Let me check your order."),
        ("agent", "Your order is shipped, arriving tomorrow."),
    ]

    [request] = world.tools.requests
    body = request.json()
    assert body["arguments"] == {"order_id": "123"} and body["call_id"] == call_id
    assert body["flow_id"] == flow["uuid"] and body["customer_id"]
    secret = (await world.client.get("/tools/secret")).body["secret"]
    assert request.headers["X-NN-Signature"] == hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()

    record = (await world.client.get(f"/calls/{call_id}")).body
    [invocation] = record["tool_calls"]
    assert invocation["tool"] == "order_status" and invocation["status"] == "ok"
    assert invocation["arguments"] == {"order_id": "123"} and invocation["http_status"] == 200
    assert json.loads(invocation["result"]) == {"status": "shipped", "eta": "tomorrow"}
    assert invocation["latency_ms"] >= 0 and invocation["at"] > 0
    graphql = await world.client.graphql(
        "query($id: ID!) { call(uuid: $id) { toolCalls { tool status } } }", {"id": call_id}
    )
    assert graphql["data"]["call"]["toolCalls"] == [{"tool": "order_status", "status": "ok"}]
    url = world.client.server.ws_url(f"/api/voice/ws/live/{call_id}?token={world.client.token}")
    async with http.ws_connect(url) as live:  # a follower of the live call: replay, then live
        tool_event = None
        while tool_event is None:
            event = json.loads((await asyncio.wait_for(live.receive(), 5)).data)
            tool_event = event if event["type"] == "tool" else None
    assert tool_event["tool"] == "order_status" and tool_event["status"] == "ok"
    assert tool_event["call_uuid"] == call_id and tool_event["arguments"] == {"order_id": "123"}
    await caller.stop()
    await caller.close()


async def test_the_model_calls_a_slow_tool_the_caller_hears_the_waiting_line_then_the_answer(http, world):
    world.model.turns[:] = [
        {"text": ["Let me check."], "tool_calls": [{"name": "order_status", "arguments": {"order_id": "77"}}]},
        {"text": ["Your order has shipped", " and arrives tomorrow."]},
    ]
    flow = await world.flow(llm="openai", tool_path="/slow", speak_while_waiting="Please hold while I look it up.")
    caller, call_id = await world.call(http, flow)
    await world.say(caller, "Where is my order seventy seven")
    turns = await world.transcript(call_id, "Your order has shipped")
    assert [text for speaker, text in turns if speaker == "agent"][-3:] == [
        "Let me check.",
        "Please hold while I look it up.",
        "Your order has shipped and arrives tomorrow.",
    ]

    first, second = world.model.requests
    assert {
        "type": "function",
        "function": {
            "name": "order_status",
            "description": "Status of an order by its number.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
                "additionalProperties": False,
            },
        },
    } in first["tools"]
    calls = [m for m in second["messages"] if m.get("tool_calls")]
    answers = [m for m in second["messages"] if m["role"] == "tool"]
    assert calls[-1]["tool_calls"][0]["function"]["name"] == "order_status"
    assert answers[-1]["tool_call_id"] == calls[-1]["tool_calls"][0]["id"]
    assert json.loads(answers[-1]["content"]) == {"status": "shipped", "eta": "tomorrow"}
    [invocation] = (await world.client.get(f"/calls/{call_id}")).body["tool_calls"]
    assert invocation["status"] == "ok" and invocation["latency_ms"] >= 1900
    await caller.stop()
    await caller.close()


async def test_bad_arguments_go_back_to_the_model_which_recovers(http, world):
    world.model.turns[:] = [
        {"tool_calls": [{"name": "order_status", "arguments": {"order": 5}}]},
        {"tool_calls": [{"name": "order_status", "arguments": {"order_id": "5"}}]},
        {"text": ["Order five has shipped."]},
    ]
    flow = await world.flow(llm="openai")
    caller, call_id = await world.call(http, flow)
    await world.say(caller, "Where is order five")
    await world.transcript(call_id, "Order five has shipped.")
    assert [r.json()["arguments"] for r in world.tools.requests] == [{"order_id": "5"}]
    error = [m for m in world.model.requests[1]["messages"] if m["role"] == "tool"][-1]
    assert "invalid arguments" in json.loads(error["content"])["error"]
    statuses = [(i["status"], i["arguments"]) for i in (await world.client.get(f"/calls/{call_id}")).body["tool_calls"]]
    assert statuses == [("invalid_arguments", {"order": 5}), ("ok", {"order_id": "5"})]
    await caller.stop()
    await caller.close()


async def test_a_failing_tool_is_an_apology_and_the_conversation_goes_on(http, world):
    flow = await world.flow(llm="scripted", tool_path="/fail")
    caller, call_id = await world.call(http, flow)
    await world.say(caller, "Where is my order one two three")
    await world.transcript(call_id, "Sorry, I could not get that information just now.")
    await world.say(caller, "Do you deliver to Mumbai?")
    turns = await world.transcript(call_id, "Yes, within five days.")
    assert ("agent", "Let me check your order.") in turns
    [invocation] = (await world.client.get(f"/calls/{call_id}")).body["tool_calls"]
    assert invocation["status"] == "http_error" and invocation["http_status"] == 500
    assert "database down" in invocation["result"]
    await caller.stop()
    await caller.close()


async def test_the_caller_can_barge_in_on_the_waiting_line(http, world):
    world.tools.slow_seconds = 5.0
    world.model.turns[:] = [
        {"tool_calls": [{"name": "order_status", "arguments": {"order_id": "9"}}]},
        {"text": ["We are open from nine to six."]},
    ]
    flow = await world.flow(
        llm="openai",
        tool_path="/slow",
        speak_while_waiting="Please hold on while I look up your order in our system right now.",
    )
    caller, call_id = await world.call(http, flow)
    await world.say(caller, "Where is my order nine")
    await caller.wait_for(lambda: world.tools.requests, timeout=10)
    audio_before = len(caller.events("media"))
    await caller.wait_for(lambda: len(caller.events("media")) > audio_before + 3, timeout=5)  # the waiting line
    await world.say(caller, "What are your opening hours", realtime=1.0)
    turns = await world.transcript(call_id, "We are open from nine to six.")
    assert caller.events("clear"), "the waiting line was not cut off"
    assert ("customer", "What are your opening hours") in turns
    [invocation] = (await world.client.get(f"/calls/{call_id}")).body["tool_calls"]
    assert invocation["status"] == "cancelled"
    await caller.stop()
    await caller.close()
    await asyncio.sleep(0)


async def test_call_ended_carries_the_tool_calls(http, world):
    hook = await world.client.post(
        "/webhooks", json={"name": "workflow", "url": world.tools.url + "/hooks", "events": ["call.ended"]}
    )
    assert hook.status == 201, hook.body
    flow = await world.flow(llm="scripted")
    caller, call_id = await world.call(http, flow)
    await world.say(caller, "Where is my order one two three")
    await world.transcript(call_id, "Your order is shipped")
    await caller.stop()
    await caller.close()
    for _ in range(150):
        deliveries = await WebhookDelivery.filter(webhook_id=hook.body["uuid"], event_type="call.ended")
        ours = [d.payload for d in deliveries if call_id in json.dumps(d.payload)]
        if ours:
            break
        await asyncio.sleep(0.1)
    [payload] = ours
    data = payload.get("data", payload)
    assert [(t["tool"], t["status"], t["arguments"]) for t in data["tool_calls"]] == [
        ("order_status", "ok", {"order_id": "123"})
    ]
