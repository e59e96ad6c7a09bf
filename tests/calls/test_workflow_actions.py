"""Workflow actions: transfer, end and agent availability, with human-agent queues as organisation config."""

from __future__ import annotations

import asyncio

import pytest_asyncio

from app.calls.contract import CallEnd
from app.calls.lifecycle import EndCommand, TransferCommand
from tests.calls.conftest import finished_call, now, start_call

BRIEF = "Standing Desk Pro, $850, ready to buy today, needs delivery confirmed within 3 days to zip 94107."


async def gql(client, query, **variables):
    answer = await client.graphql(query, variables)
    assert not answer.get("errors"), answer
    return answer["data"]


@pytest_asyncio.fixture
async def queue(client):
    data = await gql(
        client,
        """mutation { createHumanQueue(input: {name: "sales_specialist",
        transferNumber: "+14155550100"}) { uuid name } }""",
    )
    return data["createHumanQueue"]


async def add_agent(client, queue, presence):
    data = await gql(
        client,
        'mutation($q: ID!, $p: String) { addHumanAgent(queueUuid: $q, input: {name: "Sam", '
        "presence: $p}) { uuid presence } }",
        q=queue["uuid"],
        p=presence,
    )
    return data["addHumanAgent"]


async def test_transfer_reaches_the_session_and_answers_as_documented(door, client, platform, queue):
    await add_agent(client, queue, "available")
    call_id = await start_call(platform, client.organisation_id)
    commands = platform.reporter.commands(call_id)
    answer = await door.call(
        "POST",
        f"/calls/{call_id}/transfer",
        json={"target": "sales_specialist", "agent_brief": BRIEF, "context": {"intent_score": 88}},
    )
    assert (answer.status, answer.body) == (
        200,
        {"status": "transfer_initiated", "call_uuid": call_id, "target": "sales_specialist"},
    )
    command = await asyncio.wait_for(commands.__anext__(), 2)
    assert command == TransferCommand(target="sales_specialist", agent_brief=BRIEF, context={"intent_score": 88})
    await commands.aclose()


async def test_transfer_refusals(door, client, platform, queue):
    call_id = await start_call(platform, client.organisation_id)
    ended = await finished_call(platform, client.organisation_id)
    cases = [
        (
            call_id,
            {"target": "sales_specialist", "agent_brief": "x" * 281},
            400,
            "agent_brief must be at most 280 characters",
        ),
        (call_id, {"target": "sales_specialist"}, 400, "agent_brief is required"),
        (
            call_id,
            {"target": "sales_specialist", "agent_brief": "b", "context": [1]},
            400,
            "context must be a JSON object",
        ),
        (
            call_id,
            {"target": "nobody", "agent_brief": "b"},
            400,
            "target: no queue named 'nobody' in this organisation",
        ),
        (call_id, {"target": "sales_specialist", "agent_brief": "b"}, 503, "No agents available in target queue"),
        (ended, {"target": "sales_specialist", "agent_brief": "b"}, 409, "Call is not currently active"),
        ("cal_unknown", {"target": "sales_specialist", "agent_brief": "b"}, 404, "Call not found"),
    ]
    async with platform.bus.subscribe(f"call:{call_id}:commands") as commands:
        for target, body, status, detail in cases:
            answer = await door.call("POST", f"/calls/{target}/transfer", json=body)
            if door.name == "graphql" and "agent_brief" not in body:  # GraphQL's own required-field message
                assert answer.status == 400 and "agentBrief" in answer.body["detail"]
                continue
            assert (answer.status, answer.body) == (status, {"detail": detail}), body
        await asyncio.sleep(0.05)
        assert commands._queue.empty()  # nothing reached the session


async def test_a_busy_or_offline_queue_is_503_until_someone_is_available(client, platform, queue):
    agent = await add_agent(client, queue, "busy")
    call_id = await start_call(platform, client.organisation_id)
    body = {"target": "sales_specialist", "agent_brief": "b"}
    assert (await client.post(f"/calls/{call_id}/transfer", json=body)).status == 503
    await gql(
        client,
        'mutation($id: ID!) { setHumanAgentPresence(uuid: $id, presence: "available") { presence } }',
        id=agent["uuid"],
    )
    assert (await client.post(f"/calls/{call_id}/transfer", json=body)).status == 200


async def test_end_sends_the_reason_and_validates_it(door, client, platform):
    call_id = await start_call(platform, client.organisation_id)
    commands = platform.reporter.commands(call_id)
    bad = await door.call("POST", f"/calls/{call_id}/end", json={"reason": "bored"})
    assert (bad.status, bad.body) == (
        400,
        {"detail": "reason must be one of dnc_request, wrong_number, hostile_caller, workflow_close"},
    )
    answer = await door.call("POST", f"/calls/{call_id}/end", json={"reason": "dnc_request"})
    assert answer.status == 200 and answer.body["status"] == "end_requested"
    assert await asyncio.wait_for(commands.__anext__(), 2) == EndCommand(reason="dnc_request")
    await commands.aclose()
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=1))
    gone = await door.call("POST", f"/calls/{call_id}/end", json={})
    assert (gone.status, gone.body) == (409, {"detail": "Call is not currently active"})


async def test_end_without_a_body(client, platform):
    call_id = await start_call(platform, client.organisation_id)
    answer = await client.post(f"/calls/{call_id}/end")
    assert answer.body == {"status": "end_requested", "call_uuid": call_id, "reason": "workflow_close"}


async def test_agent_availability(door, client, platform, queue):
    answer = await door.call("GET", "/calls/agent-availability", params={"target": "sales_specialist"})
    assert answer.status == 200
    assert answer.body["available"] is False and answer.body["queue_depth"] == 0
    assert answer.body["target"] == "sales_specialist" and answer.body["checked_at"].endswith("Z")
    await add_agent(client, queue, "available")
    call_id = await start_call(platform, client.organisation_id)
    await platform.reporter.status(call_id, "transfer_initiated", {"target": "sales_specialist"})
    answer = await door.call("GET", "/calls/agent-availability", params={"target": "sales_specialist"})
    assert (answer.body["available"], answer.body["queue_depth"]) == (True, 1)
    missing = await door.call("GET", "/calls/agent-availability", params={})
    assert missing.status == 400
    if door.name == "rest":
        assert missing.body == {"detail": "target is required"}
    unknown = await door.call("GET", "/calls/agent-availability", params={"target": "x"})
    assert (unknown.status, unknown.body) == (400, {"detail": "target: no queue named 'x' in this organisation"})


async def test_queues_are_organisation_config_listed_in_rest(client, other_client, queue):
    await add_agent(client, queue, "available")
    answer = await client.get("/queues")
    assert answer.status == 200
    [listed] = answer.body["queues"]
    assert listed["name"] == "sales_specialist" and listed["transfer_number"] == "+14155550100"
    assert listed["available_agents"] == 1 and listed["agents"][0]["presence"] == "available"
    assert (await other_client.get("/queues")).body == {"queues": []}
    duplicate = await client.graphql("""mutation { createHumanQueue(input: {name: "sales_specialist",
        transferNumber: "+14155550100"}) { uuid } }""")
    assert duplicate["errors"][0]["extensions"]["code"] == "CONFLICT"
    bad = await client.graphql("""mutation { createHumanQueue(input: {name: "Sales Team",
        transferNumber: "+14155550100"}) { uuid } }""")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    presence = await client.graphql(
        'mutation($id: ID!) { setHumanAgentPresence(uuid: $id, presence: "away") { presence } }',
        {"id": listed["agents"][0]["uuid"]},
    )
    assert presence["errors"][0]["message"] == "presence must be one of available, busy, offline"
    theirs = await other_client.graphql("mutation($id: ID!) { deleteHumanQueue(uuid: $id) }", {"id": queue["uuid"]})
    assert theirs["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert len((await client.get("/queues")).body["queues"]) == 1
