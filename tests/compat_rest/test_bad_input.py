"""Bad input at the REST door: malformed JSON, wrong types, unknown fields and parameters, oversized
bodies. Each answers a 4xx with a detail naming the problem, and nothing is written."""

from __future__ import annotations

from app.db.models import VoiceAgent


async def nothing_written(client) -> bool:
    return not await VoiceAgent.filter(organisation_id=client.organisation_id).exists()


async def test_malformed_json_is_400(client):
    answer = await client.post("/agents", data=b'{"name": "Aria",', headers={"Content-Type": "application/json"})
    assert answer.status == 400
    assert answer.body["detail"].startswith("malformed JSON: ")
    assert await nothing_written(client)


async def test_empty_body_is_400(client):
    answer = await client.post("/agents", data=b"", headers={"Content-Type": "application/json"})
    assert (answer.status, answer.body) == (400, {"detail": "request body must be a JSON object"})


async def test_a_body_that_is_not_an_object_is_400(client):
    answer = await client.post("/agents", json=["Aria"])
    assert (answer.status, answer.body) == (400, {"detail": "request body must be an object"})
    assert await nothing_written(client)


async def test_wrong_types_name_the_field(client):
    cases = [
        ({"name": "A", "role": ["r"]}, "role must be a string"),
        ({"name": "A", "role": "r", "voice_config": "sarvam"}, "voice_config must be an object"),
        ({"name": "A", "role": "r", "voice_config": {"provider": 7}}, "voice_config.provider must be a string"),
        ({"name": None, "role": "r"}, "name must not be null"),
    ]
    for body, detail in cases:
        answer = await client.post("/agents", json=body)
        assert (answer.status, answer.body) == (400, {"detail": detail}), body
    assert await nothing_written(client)


async def test_unknown_nested_field_is_400(client):
    answer = await client.post(
        "/agents", json={"name": "A", "role": "r", "voice_config": {"provider": "sarvam", "pitch": 1}}
    )
    assert (answer.status, answer.body) == (400, {"detail": "unknown field: voice_config.pitch"})


async def test_camel_case_keys_are_not_the_rest_contract(client):
    answer = await client.post("/agents", json={"name": "A", "role": "r", "avatarColor": "#ffffff"})
    assert (answer.status, answer.body) == (400, {"detail": "unknown field: avatarColor"})


async def test_unknown_query_parameter_is_400(client):
    answer = await client.get("/samples", params={"providr": "sarvam"})
    assert (answer.status, answer.body) == (400, {"detail": "unknown query parameter: providr"})


async def test_repeated_scalar_query_parameter_is_400(client):
    answer = await client.get("/samples", params=[("provider", "sarvam"), ("provider", "elevenlabs")])
    assert (answer.status, answer.body) == (400, {"detail": "provider must be given once"})


async def test_oversized_body_is_refused_by_its_declared_length(client, server):
    huge = b'{"name": "' + b"x" * (server.settings.max_body_bytes + 1) + b'", "role": "r"}'
    answer = await client.post("/agents", data=huge, headers={"Content-Type": "application/json"})
    assert answer.status == 413
    assert answer.body == {"detail": f"request body is larger than {server.settings.max_body_bytes} bytes"}
    assert await nothing_written(client)


async def test_oversized_chunked_body_is_refused_while_streaming(client, server):
    limit = server.settings.max_body_bytes

    async def chunks():
        yield b'{"name": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'", "role": "r"}'

    answer = await client.post("/agents", data=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status == 413
    assert await nothing_written(client)


async def test_oversized_graphql_request_is_refused_too(client, server):
    query = "{ agents { uuid } }" + " " * (server.settings.max_body_bytes + 1)
    async with client.http.post(
        server.url("/api/voice/graphql"), json={"query": query}, headers=client.headers()
    ) as answer:
        assert answer.status == 413


async def test_a_route_not_in_the_contract_is_404(client):
    answer = await client.get("/agentz")
    assert answer.status == 404


async def test_a_pending_route_says_so():
    """Every documented route is built now; a row marked pending would answer 501 naming its issue."""
    import json

    from compat_rest.routes import RestRoute
    from compat_rest.shim import _pending_endpoint

    answer = await _pending_endpoint(RestRoute("POST", "/later", "Later", pending="issue 99"))(None)
    assert answer.status_code == 501
    assert json.loads(answer.body) == {"detail": "Not implemented yet (issue 99)"}


async def test_graphql_multipart_uploads_get_the_upload_limit_not_the_json_one(client, server):
    """A 2 MB file in a GraphQL multipart request reaches GraphQL; the same size as JSON is refused."""
    import json

    import aiohttp

    form = aiohttp.FormData()
    form.add_field("operations", json.dumps({"query": "{ agents { uuid } }", "variables": {}}))
    form.add_field("map", json.dumps({}))
    form.add_field("0", b"\0" * (2 * 1024 * 1024), filename="big.bin", content_type="application/octet-stream")
    async with client.http.post(server.url("/api/voice/graphql"), data=form, headers=client.headers()) as answer:
        assert answer.status == 200
        assert (await answer.json())["data"] == {"agents": []}
