"""API keys: nn_k_ prefix, stored hashed, shown once, revocable, last use recorded; every failure is
401 {"detail": "Invalid or expired token"}."""

from __future__ import annotations

import hashlib

from app.auth.api_keys import create_api_key, revoke_api_key
from app.db.models import ApiKey
from tests.conftest import Client

INVALID = {"detail": "Invalid or expired token"}


async def test_requests_without_credentials_are_401(anonymous):
    answer = await anonymous.get("/agents")
    assert (answer.status, answer.body) == (401, INVALID)


async def test_malformed_authorization_headers_are_401(client):
    for header in ("Basic abc", "Bearer", "Bearer ", client.token, f"Token {client.token}"):
        answer = await client.get("/agents", headers={"Authorization": header})
        assert (answer.status, answer.body) == (401, INVALID), header


async def test_an_unknown_key_is_401(http, server):
    stranger = Client(http, server, "nn_k_" + "A" * 43)
    assert (await stranger.get("/agents")).status == 401


async def test_keys_are_stored_hashed_and_shown_once(client):
    stored = await ApiKey.filter(organisation_id=client.organisation_id).values("prefix", "key_hash")
    assert len(stored) == 1
    assert client.token.startswith("nn_k_") and stored[0]["prefix"] == client.token[:13]
    assert stored[0]["key_hash"] == hashlib.sha256(client.token.encode()).hexdigest()
    assert client.token not in str(stored)


async def test_a_revoked_key_is_401_and_other_keys_keep_working(http, server, client):
    key, second = await create_api_key(client.organisation_id, "ci")
    assert (await Client(http, server, second).get("/agents")).status == 200
    await revoke_api_key(key.prefix)
    assert (await Client(http, server, second).get("/agents")).status == 401
    assert (await client.get("/agents")).status == 200


async def test_last_use_is_recorded(client):
    await client.get("/agents")
    key = await ApiKey.get(organisation_id=client.organisation_id)
    assert key.last_used_at is not None


async def test_keys_can_be_created_listed_and_revoked_in_graphql(client, http, server):
    created = await client.graphql('mutation { createApiKey(name: "ci") { apiKey key { prefix name } } }')
    new_key = created["data"]["createApiKey"]["apiKey"]
    prefix = created["data"]["createApiKey"]["key"]["prefix"]
    assert new_key.startswith(prefix)
    listed = await client.graphql("{ apiKeys { prefix revokedAt } }")
    assert {k["prefix"] for k in listed["data"]["apiKeys"]} >= {prefix}
    revoked = await client.graphql("mutation($p: String!) { revokeApiKey(prefix: $p) { revokedAt } }", {"p": prefix})
    assert revoked["data"]["revokeApiKey"]["revokedAt"] is not None
    assert (await Client(http, server, new_key).get("/agents")).status == 401


async def test_another_organisations_key_cannot_be_revoked(client, other_client):
    theirs = await ApiKey.get(organisation_id=other_client.organisation_id)
    answer = await client.graphql("mutation($p: String!) { revokeApiKey(prefix: $p) { prefix } }", {"p": theirs.prefix})
    assert answer["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await other_client.get("/agents")).status == 200


async def test_health_and_metrics_need_no_credentials(anonymous, server):
    async with anonymous.http.get(server.url("/healthz")) as answer:
        assert answer.status == 200 and await answer.json() == {"status": "ok"}
    async with anonymous.http.get(server.url("/metrics")) as answer:
        assert answer.status == 200
