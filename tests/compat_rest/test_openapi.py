"""GET /api/voice/openapi.json: an OpenAPI 3.1 document generated from the same table as the routes."""

from __future__ import annotations

from compat_rest.routes import ROUTES


async def test_openapi_document_lists_every_http_route(anonymous):
    answer = await anonymous.get("/openapi.json")
    assert answer.status == 200
    document = answer.body
    assert document["openapi"] == "3.1.0"
    for route in ROUTES:
        if route.websocket:
            continue
        assert route.method.lower() in document["paths"][route.path], route


async def test_openapi_describes_bodies_responses_and_limits(anonymous):
    document = (await anonymous.get("/openapi.json")).body
    create = document["paths"]["/agents"]["post"]
    assert create["x-rate-limit"] == "20/minute"
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["name", "role"]
    assert body["additionalProperties"] is False
    assert set(body["properties"]["voice_config"]["properties"]) == {"provider", "model", "speaker", "language_code"}
    agent = create["responses"]["201"]["content"]["application/json"]["schema"]
    assert "avatar_color" in agent["properties"]
    assert create["responses"]["400"]["content"]["application/json"]["schema"]["required"] == ["detail"]
    samples = document["paths"]["/samples"]["get"]
    assert {p["name"] for p in samples["parameters"]} == {"provider", "language_code"}


async def test_provider_callbacks_are_documented_without_bearer_auth(anonymous):
    document = (await anonymous.get("/openapi.json")).body
    assert document["paths"]["/webhooks/exotel/status"]["post"]["security"] == []
    assert document["paths"]["/agents"]["get"]["security"] == [{"bearer": []}]
