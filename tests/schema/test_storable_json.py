"""Text no database can store (a NUL character, an unpaired surrogate) is a 400 naming where it is, through
both doors, and nothing is written: PostgreSQL refused it deep in the write with a server error."""

from __future__ import annotations

import json

import pytest

from app.db.models import Flow
from tests.conftest import API

BAD_VALUES = ["nul\u0000inside", "lone \ud885 surrogate"]


def _raw(body: dict) -> bytes:
    # json.dumps escapes both as \\u0000 / \\ud885: exactly what a client (or the fuzzer) sends on the wire
    return json.dumps(body).encode()


@pytest.mark.parametrize("bad", BAD_VALUES, ids=["nul", "surrogate"])
async def test_rest_refuses_unstorable_text_in_a_body_naming_the_field(http, server, client, bad):
    body = {"name": "Storable", "kind": "inbound", "config": {"voice": {"note": bad}}}
    async with http.post(
        server.url(f"{API}/flows"), data=_raw(body), headers={**client.headers(), "Content-Type": "application/json"}
    ) as answer:
        assert answer.status == 400
        detail = (await answer.json())["detail"]
    assert "config.voice.note" in detail and "cannot be stored" in detail
    assert not await Flow.filter(organisation_id=client.organisation_id, name="Storable").exists()


async def test_rest_refuses_a_nul_in_a_query_parameter(http, server, client):
    # a URL decodes to UTF-8 text, so only the NUL can reach a query parameter
    async with http.get(
        server.url(f"{API}/customers"), params={"search": "nul\u0000inside"}, headers=client.headers()
    ) as answer:
        assert answer.status == 400
        assert "search" in (await answer.json())["detail"]


async def test_graphql_refuses_unstorable_variables_before_executing(http, server, client):
    document = "mutation($input: CreateFlowInput!) { createFlow(input: $input) { uuid } }"
    body = {"query": document, "variables": {"input": {"name": "Stored\u0000", "kind": "inbound"}}}
    async with http.post(
        server.url(f"{API}/graphql"), data=_raw(body), headers={**client.headers(), "Content-Type": "application/json"}
    ) as answer:
        assert answer.status == 400
        assert "input.name" in await answer.text()
    assert not await Flow.filter(organisation_id=client.organisation_id, name__startswith="Stored").exists()


async def test_anonymous_unstorable_bodies_are_still_401_first(http, server):
    async with http.post(
        server.url(f"{API}/flows"), data=_raw({"name": "x\u0000"}), headers={"Content-Type": "application/json"}
    ) as answer:
        assert answer.status == 401
