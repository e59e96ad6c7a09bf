"""Webhooks API: create (secret shown once), list with is_active, get, GraphQL update/delete/rotate, validation.

Runs before the delivery tests on purpose: those leave the shared server idle longer than uvicorn's keep-alive,
and a request racing that close is reset."""

from __future__ import annotations

import pytest

from app.db.models import Webhook
from app.webhooks.signing import SecretBox

KEYS = {"uuid", "name", "url", "events", "is_active", "last_triggered_at"}
CRM = {
    "name": "CRM Sync Workflow",
    "url": "https://workflow.example.com/nn-events",
    "events": ["call.ended", "call.started", "call.transferred"],
    "headers": {"X-Workflow-Secret": "shh"},
}


async def test_create_answers_the_secret_once_and_stores_it_encrypted(client, server):
    created = await client.post("/webhooks", json=CRM)
    assert created.status == 201
    assert set(created.body) == KEYS | {"secret"}
    assert created.body["uuid"].startswith("wbh_") and created.body["secret"].startswith("whsec_")
    assert created.body["is_active"] is True and created.body["last_triggered_at"] is None
    stored = await Webhook.get(id=created.body["uuid"])
    assert created.body["secret"] not in stored.secret
    assert SecretBox(server.settings.resolved_secret_key()).open(stored.secret) == created.body["secret"]
    fetched = await client.get(f"/webhooks/{created.body['uuid']}")
    assert set(fetched.body) == KEYS and fetched.body["events"] == CRM["events"]


async def test_list_filters_on_is_active_and_is_per_organisation(door, client, other_client):
    active = (await client.post("/webhooks", json=CRM)).body
    paused = (await client.post("/webhooks", json={**CRM, "name": "Paused"})).body
    await client.graphql(
        "mutation($id: ID!) { updateWebhook(uuid: $id, input: {isActive: false}) { uuid } }", {"id": paused["uuid"]}
    )
    everything = await door.call("GET", "/webhooks")
    assert [hook["uuid"] for hook in everything.body["webhooks"]] == [active["uuid"], paused["uuid"]]
    only_active = await door.call("GET", "/webhooks", params={"is_active": "true"})
    assert [hook["uuid"] for hook in only_active.body["webhooks"]] == [active["uuid"]]
    inactive = await door.call("GET", "/webhooks", params={"is_active": "false"})
    assert [hook["uuid"] for hook in inactive.body["webhooks"]] == [paused["uuid"]]
    assert (await other_client.get("/webhooks")).body == {"webhooks": []}
    theirs = await other_client.get(f"/webhooks/{active['uuid']}")
    assert (theirs.status, theirs.body) == (404, {"detail": "Webhook not found"})


async def test_graphql_update_rotate_and_delete(client):
    created = (await client.post("/webhooks", json=CRM)).body
    updated = await client.graphql(
        """mutation($id: ID!) { updateWebhook(uuid: $id, input: {name: "Renamed",
        events: ["call.ended"]}) { name events headerNames } }""",
        {"id": created["uuid"]},
    )
    assert updated["data"]["updateWebhook"] == {
        "name": "Renamed",
        "events": ["call.ended"],
        "headerNames": ["X-Workflow-Secret"],
    }
    rotated = await client.graphql(
        "mutation($id: ID!) { rotateWebhookSecret(uuid: $id) { secret } }", {"id": created["uuid"]}
    )
    assert rotated["data"]["rotateWebhookSecret"]["secret"] not in (created["secret"], None)
    deleted = await client.graphql("mutation($id: ID!) { deleteWebhook(uuid: $id) { uuid } }", {"id": created["uuid"]})
    assert deleted["data"]["deleteWebhook"]["uuid"] == created["uuid"]
    assert (await client.get(f"/webhooks/{created['uuid']}")).status == 404


@pytest.mark.parametrize(
    "change, detail",
    [
        ({"events": []}, "events must name at least one event type"),
        (
            {"events": ["call.exploded"]},
            "events: unknown event type 'call.exploded' (one of call.started, call.ended, "
            "call.transferred, call.no_answer, call.voicemail, campaign.launched, "
            "campaign.stopped, campaign.completed)",
        ),
        ({"events": "call.ended"}, "events must be an array"),
        ({"url": "http://workflow.example.com/hook"}, "url must be an HTTPS URL"),
        ({"url": "ftp://workflow.example.com/hook"}, "url must be an HTTPS URL"),
        ({"url": "https://127.0.0.1/hook"}, "url must not point at a private, loopback or link-local address"),
        ({"url": "https://10.1.2.3/hook"}, "url must not point at a private, loopback or link-local address"),
        ({"url": "https://169.254.169.254/latest"}, "url must not point at a private, loopback or link-local address"),
        ({"url": "https://[::1]/hook"}, "url must not point at a private, loopback or link-local address"),
        ({"url": "https://localhost/hook"}, "url must not point at a private, loopback or link-local address"),
        ({"url": "https://user:pw@workflow.example.com/"}, "url must not carry credentials"),
        ({"name": "  "}, "name must not be empty"),
        ({"headers": {"X-NN-Signature": "forged"}}, "headers: X-NN-Signature is set by the platform"),
        ({"headers": {"X-Bad": 5}}, "headers.X-Bad must be a single-line string of at most 1000 characters"),
        ({"headers": ["x"]}, "headers must be a JSON object"),
    ],
)
async def test_bad_webhooks_are_400_and_nothing_is_created(client, change, detail):
    answer = await client.post("/webhooks", json={**CRM, **change})
    assert (answer.status, answer.body) == (400, {"detail": detail})
    assert (await client.get("/webhooks")).body == {"webhooks": []}


async def test_an_update_to_a_private_url_changes_nothing(client):
    created = (await client.post("/webhooks", json=CRM)).body
    answer = await client.graphql(
        """mutation($id: ID!) { updateWebhook(uuid: $id,
        input: {url: "https://192.168.1.10/x", name: "New"}) { uuid } }""",
        {"id": created["uuid"]},
    )
    assert answer["errors"][0]["message"] == "url must not point at a private, loopback or link-local address"
    fetched = (await client.get(f"/webhooks/{created['uuid']}")).body
    assert (fetched["url"], fetched["name"]) == (CRM["url"], CRM["name"])


async def test_logs_paginate_and_check_their_limits(door, client):
    created = (await client.post("/webhooks", json=CRM)).body
    answer = await door.call("GET", f"/webhooks/{created['uuid']}/logs")
    assert (answer.status, answer.body) == (200, {"logs": []})
    bad = await door.call("GET", f"/webhooks/{created['uuid']}/logs", params={"limit": 0})
    assert (bad.status, bad.body) == (400, {"detail": "limit must be at least 1"})
    missing = await door.call("GET", "/webhooks/wbh_nothing/logs")
    assert (missing.status, missing.body) == (404, {"detail": "Webhook not found"})
