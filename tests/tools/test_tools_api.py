"""Issue 16 §1: HTTP tools are managed per agent and per flow, through both doors; header values are
encrypted at rest and masked on read; every bad definition is a 400 naming the field with nothing stored."""

from __future__ import annotations

import pytest

from app.db.models import Tool
from tests.tools.conftest import ORDER_STATUS


async def test_an_agent_tool_is_created_listed_changed_and_deleted(door, agent):
    base = f"/agents/{agent['uuid']}/tools"
    created = await door.call("POST", base, json=ORDER_STATUS)
    assert created.status == 201, created.body
    tool = created.body
    assert tool["name"] == "order_status" and tool["scope"] == "AGENT" and tool["owner_uuid"] == agent["uuid"]
    assert tool["method"] == "POST" and tool["timeout_seconds"] == 4 and tool["uuid"].startswith("tol_")
    assert tool["parameters"] == ORDER_STATUS["parameters"]
    assert tool["headers"] == {"Authorization": "••••••••1234"}  # masked on read
    listed = await door.call("GET", base)
    assert [t["name"] for t in listed.body["tools"]] == ["order_status"]

    changed = await door.call(
        "PATCH", f"{base}/order_status", json={"timeout_seconds": 8, "headers": {"Authorization": "••••••••1234"}}
    )
    assert changed.status == 200, changed.body
    assert changed.body["timeout_seconds"] == 8 and changed.body["description"] == ORDER_STATUS["description"]
    definitions = await door.client.server.platform.tools.for_call(door.client.organisation_id, agent["uuid"], None)
    assert definitions[0].headers == {"Authorization": "Bearer crm-secret-token-1234"}  # the masked echo kept it

    deleted = await door.call("DELETE", f"{base}/order_status")
    assert deleted.status == 200 and deleted.body["name"] == "order_status"
    assert (await door.call("GET", base)).body["tools"] == []
    assert (await door.call("DELETE", f"{base}/order_status")).status == 404


async def test_header_values_are_encrypted_at_rest(client, agent):
    await client.post(f"/agents/{agent['uuid']}/tools", json=ORDER_STATUS)
    row = await Tool.get(voice_agent_id=agent["uuid"])
    assert "crm-secret-token" not in (row.headers or "") and row.headers


async def test_a_flow_adds_its_tools_to_its_agents(door, agent, flow):
    await door.call("POST", f"/agents/{agent['uuid']}/tools", json=ORDER_STATUS)
    refund = {**ORDER_STATUS, "name": "refund_status", "description": "Refund status."}
    created = await door.call("POST", f"/flows/{flow['uuid']}/tools", json=refund)
    assert created.status == 201 and created.body["scope"] == "FLOW"
    clash = await door.call("POST", f"/flows/{flow['uuid']}/tools", json=ORDER_STATUS)
    assert (
        clash.status == 400
        and clash.body["detail"] == "name 'order_status' is already a tool of the flow's voice agent"
    )
    names = [
        t.name
        for t in await door.client.server.platform.tools.for_call(
            door.client.organisation_id, agent["uuid"], flow["uuid"]
        )
    ]
    assert names == ["order_status", "refund_status"]


async def test_another_organisations_agent_is_not_found(door, other_client):
    theirs = (await other_client.post("/agents", json={"name": "Theirs", "role": "r"})).body
    assert (await door.call("GET", f"/agents/{theirs['uuid']}/tools")).status == 404
    assert (await door.call("POST", f"/agents/{theirs['uuid']}/tools", json=ORDER_STATUS)).status == 404
    assert not await Tool.filter(voice_agent_id=theirs["uuid"]).exists()


BAD = [
    (
        {"parameters": {"type": "object", "properties": {"order_id": {"type": "strin"}}}},
        "parameters is not a valid JSON Schema",
    ),
    ({"parameters": {"type": "object", "required": "order_id"}}, "parameters is not a valid JSON Schema"),
    ({"parameters": {"type": "string"}}, "parameters must describe an object"),
    ({"url": "https://10.1.2.3/orders"}, "url must not point at a private, loopback or link-local address"),
    ({"url": "https://127.0.0.1:8080/orders"}, "url must not point at a private, loopback or link-local address"),
    ({"url": "http://93.184.216.34/orders"}, "url must be an HTTPS URL"),
    ({"headers": {"X-Big": "x" * 5000}}, "headers must be at most 4096 bytes in total"),
    ({"headers": {f"X-H{i}": "v" for i in range(21)}}, "headers must have at most 20 entries"),
    ({"headers": {"X-NN-Signature": "forged"}}, "headers.X-NN-Signature is set by the platform"),
    ({"headers": {"Bad Name": "v"}}, "headers: 'Bad Name' is not a valid header name"),
    ({"timeout_seconds": 21}, "timeout_seconds must be at most 20"),
    ({"timeout_seconds": 0}, "timeout_seconds must be greater than 0"),
    ({"name": "Order-Status"}, "name must be snake_case"),
    ({"name": "end_call"}, "name 'end_call' is a built-in action"),
    ({"method": "TRACE"}, "method must be one of GET, POST, PUT, PATCH, DELETE"),
    ({"description": ""}, "description must not be empty"),
]


@pytest.mark.parametrize("change, detail", BAD, ids=[d for _, d in BAD])
async def test_a_bad_definition_is_400_naming_the_field_and_nothing_is_stored(door, agent, change, detail):
    answer = await door.call("POST", f"/agents/{agent['uuid']}/tools", json={**ORDER_STATUS, **change})
    assert answer.status == 400, answer.body
    assert answer.body["detail"].startswith(detail), answer.body
    assert not await Tool.filter(voice_agent_id=agent["uuid"]).exists()


async def test_a_name_clash_is_400_and_nothing_is_stored(door, agent):
    assert (await door.call("POST", f"/agents/{agent['uuid']}/tools", json=ORDER_STATUS)).status == 201
    again = await door.call(
        "POST", f"/agents/{agent['uuid']}/tools", json={**ORDER_STATUS, "url": "https://93.184.216.35/x"}
    )
    assert again.status == 400 and again.body["detail"] == "name 'order_status' is already a tool of this agent"
    rows = await Tool.filter(voice_agent_id=agent["uuid"]).values_list("url", flat=True)
    assert rows == [ORDER_STATUS["url"]]


@pytest.mark.parametrize("change, detail", BAD[:7], ids=[d for _, d in BAD[:7]])
async def test_a_bad_change_is_400_and_the_tool_is_unchanged(door, agent, change, detail):
    await door.call("POST", f"/agents/{agent['uuid']}/tools", json=ORDER_STATUS)
    answer = await door.call("PATCH", f"/agents/{agent['uuid']}/tools/order_status", json=change)
    assert answer.status == 400 and answer.body["detail"].startswith(detail), answer.body
    row = await Tool.get(voice_agent_id=agent["uuid"])
    assert (row.url, row.parameters, row.timeout_seconds) == (ORDER_STATUS["url"], ORDER_STATUS["parameters"], 4)


async def test_the_tools_secret_is_made_once_and_rotates(door):
    first = await door.call("GET", "/tools/secret")
    assert first.status == 200 and first.body["secret"].startswith("whsec_")
    assert (await door.call("GET", "/tools/secret")).body == first.body
    rotated = await door.call("POST", "/tools/secret/rotate")
    assert rotated.body["secret"].startswith("whsec_") and rotated.body != first.body
    assert (await door.call("GET", "/tools/secret")).body == rotated.body


async def test_anonymous_callers_learn_nothing(anonymous, agent):
    answer = await anonymous.post(f"/agents/{agent['uuid']}/tools", json={"timeout_seconds": 99})
    assert answer.status == 401 and answer.body == {"detail": "Invalid or expired token"}


async def test_the_tool_routes_are_documented_extensions(anonymous):
    document = (await anonymous.get("/openapi.json")).body
    for path in (
        "/agents/{agent_uuid}/tools",
        "/flows/{flow_uuid}/tools/{tool_name}",
        "/tools/secret",
        "/flows/{flow_uuid}/callbacks",
    ):
        operations = document["paths"][path]
        assert all(operation.get("x-extension") is True for operation in operations.values()), path
