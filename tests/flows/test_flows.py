"""Flows, as the spec tells them: list with filters, get, create, partial update, toggle, delete."""

from __future__ import annotations

import re

from app.db.models import Flow
from tests.flows.conftest import FLOW_KEYS, fresh_line


async def test_create_answers_201_with_the_documented_shape(door, spring):
    created = await door.call("POST", "/flows", json=spring)
    assert created.status == 201, created.body
    body = created.body
    assert set(body) == FLOW_KEYS
    assert re.fullmatch(r"flw_[0-9a-f]{12}", body["uuid"])
    for key in (
        "kind",
        "name",
        "status",
        "voice_agent_id",
        "phone_number",
        "branches",
        "start_date",
        "end_date",
        "time_window",
        "config",
    ):
        assert body[key] == spring[key], key
    assert body["script_id"] is None


async def test_status_defaults_to_draft_and_optional_fields_to_empty(door):
    created = await door.call("POST", "/flows", json={"kind": "outbound", "name": "Bare", "provider": "sarvam"})
    assert created.status == 201
    body = created.body
    assert (body["status"], body["branches"], body["config"], body["time_window"]) == ("draft", [], {}, None)


async def test_speaker_creates_an_agent_from_the_catalog_voice(door, client):
    created = await door.call(
        "POST",
        "/flows",
        json={
            "kind": "inbound",
            "name": "Help line",
            "provider": "sarvam",
            "speaker": "anushka",
            "language_code": "hi-IN",
        },
    )
    assert created.status == 201, created.body
    agent = await door.call("GET", f"/agents/{created.body['voice_agent_id']}")
    assert agent.status == 200
    assert agent.body["voice_config"]["speaker"] == "anushka"
    assert agent.body["voice_config"]["language_code"] == "hi-IN"


async def test_list_filters_by_kind_and_status(door, spring):
    outbound = (await door.call("POST", "/flows", json=spring)).body
    inbound = (
        await door.call(
            "POST",
            "/flows",
            json={**spring, "kind": "inbound", "name": "Line", "phone_number": fresh_line(), "status": "active"},
        )
    ).body
    listed = await door.call("GET", "/flows")
    assert listed.status == 200
    assert [f["uuid"] for f in listed.body["flows"]] == [outbound["uuid"], inbound["uuid"]]
    assert "metrics" not in listed.body["flows"][0]
    only_in = await door.call("GET", "/flows", params={"kind": "inbound"})
    assert [f["uuid"] for f in only_in.body["flows"]] == [inbound["uuid"]]
    drafts = await door.call("GET", "/flows", params={"status": "draft"})
    assert [f["uuid"] for f in drafts.body["flows"]] == [outbound["uuid"]]
    bad = await door.call("GET", "/flows", params={"kind": "sideways"})
    assert bad.status == 400 and bad.body == {"detail": "kind must be one of inbound, outbound"}


async def test_get_and_404s(door, spring, other_client):
    created = (await door.call("POST", "/flows", json=spring)).body
    assert (await door.call("GET", f"/flows/{created['uuid']}")).body == created
    assert (await door.call("GET", "/flows/flw_000000000000")).body == {"detail": "Flow not found"}
    theirs = (await other_client.post("/flows", json={"kind": "outbound", "name": "Theirs", "provider": "sarvam"})).body
    for method, path in (("GET", ""), ("PATCH", ""), ("POST", "/toggle"), ("DELETE", "")):
        answer = await door.call(
            method, f"/flows/{theirs['uuid']}{path}", json={"name": "x"} if method == "PATCH" else None
        )
        assert answer.status == 404, (method, path)
    assert (await other_client.get(f"/flows/{theirs['uuid']}")).body["name"] == "Theirs"


async def test_patch_changes_only_what_is_sent(door, spring):
    created = (await door.call("POST", "/flows", json=spring)).body
    patched = await door.call("PATCH", f"/flows/{created['uuid']}", json={"name": "Summer", "config": {"a": 1}})
    assert patched.status == 200
    assert (patched.body["name"], patched.body["config"]) == ("Summer", {"a": 1})
    rest = {k: v for k, v in patched.body.items() if k not in ("name", "config")}
    assert rest == {k: v for k, v in created.items() if k not in ("name", "config")}


async def test_toggle_moves_draft_to_active_then_between_active_and_paused(door, spring):
    created = (await door.call("POST", "/flows", json=spring)).body
    states = [(await door.call("POST", f"/flows/{created['uuid']}/toggle")).body["status"] for _ in range(3)]
    assert states == ["active", "paused", "active"]


async def test_delete_removes_the_flow(door, spring, client):
    created = (await door.call("POST", "/flows", json=spring)).body
    deleted = await door.call("DELETE", f"/flows/{created['uuid']}")
    assert deleted.status == 200 and deleted.body["uuid"] == created["uuid"]
    assert (await door.call("GET", f"/flows/{created['uuid']}")).status == 404
    assert not await Flow.exists(id=created["uuid"])


async def test_delete_stops_the_campaign_first(door, spring, server):
    created = (await door.call("POST", "/flows", json=spring)).body
    stopped = []

    class Dialer:
        async def stop_campaign(self, organisation_id: str, flow_id: str) -> None:
            stopped.append((flow_id, await Flow.exists(id=flow_id)))

    flows = server.platform.flows
    original, flows.campaigns = flows.campaigns, Dialer()
    try:
        await door.call("DELETE", f"/flows/{created['uuid']}")
    finally:
        flows.campaigns = original
    assert stopped == [(created["uuid"], True)]


async def test_an_active_inbound_number_belongs_to_one_flow_across_organisations(door, other_client, spring):
    line = {"kind": "inbound", "name": "Line", "provider": "sarvam", "phone_number": fresh_line()}
    theirs = (await other_client.post("/flows", json={**line, "status": "active"})).body
    clash = await door.call("POST", "/flows", json={**line, "status": "active"})
    assert clash.status == 409
    assert clash.body == {"detail": "phone_number is already the line of another active inbound flow"}
    draft = (await door.call("POST", "/flows", json=line)).body  # a draft may share it
    assert (await door.call("POST", f"/flows/{draft['uuid']}/toggle")).status == 409
    await other_client.post(f"/flows/{theirs['uuid']}/toggle")  # theirs is paused: the line is free
    assert (await door.call("POST", f"/flows/{draft['uuid']}/toggle")).body["status"] == "active"
    assert (await other_client.post(f"/flows/{theirs['uuid']}/toggle")).status == 409


async def test_an_active_inbound_flow_needs_a_number(door):
    answer = await door.call(
        "POST", "/flows", json={"kind": "inbound", "name": "L", "provider": "sarvam", "status": "active"}
    )
    assert answer.status == 400
    assert answer.body == {"detail": "phone_number is required for an active inbound flow"}


async def test_graphql_resolves_voice_agents_and_metrics_for_a_list(client, spring, agent):
    for n in range(3):
        await client.post("/flows", json={**spring, "name": f"F{n}"})
    answer = await client.graphql(
        "{ flows { name provider voiceAgent { uuid name } metrics { totalCalls peakHour } } }"
    )
    assert "errors" not in answer, answer
    flows = answer["data"]["flows"]
    assert [f["voiceAgent"]["uuid"] for f in flows] == [agent["uuid"]] * 3
    assert flows[0]["metrics"] == {"totalCalls": 0, "peakHour": None}
    assert flows[0]["provider"] == "sarvam"
