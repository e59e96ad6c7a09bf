"""Firebase ID tokens through the running server: a member's token works like an API key, on REST,
GraphQL and WebSocket; a verified token of someone who is not a member is still 401."""

from __future__ import annotations

import pytest_asyncio

from app.organisations.service import add_member, create_organisation
from tests.conftest import Client
from tests.fakes.firebase_certs import FakeCertServer

PROJECT = "voiceai-test"


@pytest_asyncio.fixture(scope="module")
async def certs():
    server = FakeCertServer(PROJECT)
    server.add_key("k1")
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(scope="module")
async def firebase_server(start_server, certs):
    return await start_server(firebase_project_id=PROJECT, firebase_certs_url=certs.url)


async def test_a_members_id_token_signs_in_to_their_organisation(http, firebase_server, certs):
    organisation = (await create_organisation("Firebase Org")).organisation
    await add_member(organisation.id, "uid-grace", "grace@example.com")
    member = Client(http, firebase_server, certs.mint("k1", sub="uid-grace", user_id="uid-grace"))
    created = await member.post("/agents", json={"name": "Aria", "role": "Sales"})
    assert created.status == 201
    answer = await member.graphql("{ organisation { uuid } }")
    assert answer["data"]["organisation"]["uuid"] == organisation.id


async def test_a_valid_token_of_a_stranger_is_401(http, firebase_server, certs):
    stranger = Client(http, firebase_server, certs.mint("k1", sub="uid-nobody", user_id="uid-nobody"))
    answer = await stranger.get("/agents")
    assert (answer.status, answer.body) == (401, {"detail": "Invalid or expired token"})


async def test_an_expired_or_foreign_token_is_401(http, firebase_server, certs):
    organisation = (await create_organisation("Firebase Org 2")).organisation
    await add_member(organisation.id, "uid-alan")
    for token in (
        certs.mint("k1", sub="uid-alan", exp=1_000_000_000, iat=999_999_000, auth_time=999_999_000),
        certs.mint("k1", sub="uid-alan", aud="another-project"),
    ):
        assert (await Client(http, firebase_server, token).get("/agents")).status == 401


async def test_without_a_firebase_project_tokens_are_not_accepted(http, server, certs):
    organisation = (await create_organisation("No Firebase")).organisation
    await add_member(organisation.id, "uid-edsger")
    token = certs.mint("k1", sub="uid-edsger")
    assert (await Client(http, server, token).get("/agents")).status == 401
