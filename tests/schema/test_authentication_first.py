"""The GraphQL door authenticates before it reads, parses or validates the operation: an anonymous
operation with bad variables (or a bad document) is UNAUTHENTICATED, never BAD_REQUEST revealing the
input types' rules; introspection needs a key too (GraphiQL sends one from its Headers pane)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from compat_rest.selection import selection_set
from schema import build_schema

SCHEMA = build_schema()._schema
ROOTS = [("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)]
FIELDS = [(operation, name, field) for operation, root in ROOTS for name, field in root.fields.items()]
UNAUTHENTICATED = {"message": "Invalid or expired token", "extensions": {"code": "UNAUTHENTICATED"}}


def document(operation: str, name: str, field) -> str:
    variables = ", ".join(f"${arg}: {argument.type}" for arg, argument in field.args.items())
    arguments = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    return (
        f"{operation} Anonymous{'(' + variables + ')' if variables else ''} "
        f"{{ {name}{'(' + arguments + ')' if arguments else ''}{selection_set(field.type)} }}"
    )


async def post(anonymous, body, headers=None):
    async with anonymous.http.post(
        anonymous.server.url("/api/voice/graphql"), json=body, headers=headers or {}
    ) as answer:
        return answer.status, await answer.json()


@pytest.mark.parametrize("variables", ["none", "wrong types"])
async def test_every_root_field_is_unauthenticated_whatever_the_variables(anonymous, variables):
    wrong = {}
    for operation, name, field in FIELDS:
        values = {} if variables == "none" else {arg: {"bogus": [1]} for arg in field.args}
        status, body = await post(anonymous, {"query": document(operation, name, field), "variables": values})
        if (status, body) != (200, {"data": None, "errors": [UNAUTHENTICATED]}):
            wrong[name] = body
    assert wrong == {}
    assert len(FIELDS) > 60


async def test_the_issue_example_no_longer_reveals_the_input_type(anonymous):
    status, body = await post(
        anonymous,
        {
            "query": "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { uuid } }",
            "variables": {"input": {}},
        },
    )
    assert (status, body["errors"]) == (200, [UNAUTHENTICATED])
    assert "CreateCustomerInput" not in str(body)


async def test_a_bad_document_or_a_bad_key_is_unauthenticated_too(anonymous):
    for query in ("{ nope", "{ agentz { uuid } }", "{ __typename }"):
        assert (await post(anonymous, {"query": query}))[1]["errors"] == [UNAUTHENTICATED]
    _status, body = await post(
        anonymous, {"query": "{ agents { uuid } }"}, headers={"Authorization": "Bearer nn_k_not-a-key"}
    )
    assert body["errors"] == [UNAUTHENTICATED]
    async with anonymous.http.get(
        anonymous.server.url("/api/voice/graphql"), params={"query": "{ agents { uuid } }"}
    ) as answer:
        assert (await answer.json())["errors"] == [UNAUTHENTICATED]


async def test_introspection_needs_a_key(anonymous, client):
    query = {"query": "{ __schema { queryType { name } } }"}
    assert (await post(anonymous, query))[1]["errors"] == [UNAUTHENTICATED]
    _status, body = await post(client, query, headers=client.headers())
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_graphiql_page_stays_open_to_browsers(anonymous):
    async with anonymous.http.get(
        anonymous.server.url("/api/voice/graphql"), headers={"Accept": "text/html"}
    ) as answer:
        assert answer.status == 200 and "graphiql" in (await answer.text()).lower()


@pytest.mark.parametrize("name", list(SCHEMA.subscription_type.fields))
async def test_every_subscription_is_refused_before_its_variables_are_read(anonymous, name):
    field = SCHEMA.subscription_type.fields[name]
    ws = await anonymous.http.ws_connect(
        anonymous.server.ws_url("/api/voice/graphql"), protocols=("graphql-transport-ws",)
    )
    await ws.send_json({"type": "connection_init", "payload": {}})
    await ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": document("subscription", name, field), "variables": {arg: 7 for arg in field.args}},
        }
    )
    message = await asyncio.wait_for(ws.receive(), 5)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4403
    await ws.close()


async def test_after_authentication_a_body_that_is_not_graphql_is_a_json_400(client):
    async with client.http.post(
        client.server.url("/api/voice/graphql"),
        data=b'{"query": ',
        headers={**client.headers(), "Content-Type": "application/json"},
    ) as answer:
        assert answer.status == 400
        assert await answer.json() == {"detail": "Unable to parse request body as JSON"}
