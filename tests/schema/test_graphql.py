"""The GraphQL door: same data as REST, errors with extension codes and no stack traces, limits on
query depth and size, GraphiQL for browsers."""

from __future__ import annotations

AGENT = {"name": "Aria", "role": "Sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}}


async def test_graphql_and_rest_return_the_same_agents(client):
    created = (await client.post("/agents", json=AGENT)).body
    rest = (await client.get("/agents")).body
    graphql = await client.graphql(
        "{ agents { uuid name role description avatarColor avatarInitials isActive createdAt "
        "voiceConfig { provider model speaker languageCode sampleUrl } } }"
    )
    only = graphql["data"]["agents"][0]
    assert rest == [created]
    assert only["uuid"] == created["uuid"]
    assert only["createdAt"] == created["created_at"]
    assert only["voiceConfig"]["sampleUrl"] == created["voice_config"]["sample_url"]


async def test_error_codes(client, anonymous):
    unauthenticated = await anonymous.graphql("{ agents { uuid } }")
    assert unauthenticated["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert unauthenticated["errors"][0]["message"] == "Invalid or expired token"
    missing = await client.graphql('{ agent(uuid: "agt_000000000000") { uuid } }')
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    invalid = await client.graphql('mutation { createAgent(input: {name: "A", role: "r", avatarColor: "x"}) { uuid } }')
    assert invalid["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert invalid["errors"][0]["message"] == "avatar_color must be a hex colour like #6366f1"
    unknown = await client.graphql("{ agentz { uuid } }")
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_errors_never_carry_a_stack_trace(client):
    answer = await client.graphql("{ agents { uuid nope } }")
    text = str(answer)
    assert "Traceback" not in text and "stacktrace" not in text.lower() and ".py" not in text


async def test_depth_limit(client):
    deep = "{ agents " + "{ voiceConfig " * 12 + "{ provider }" + " }" * 12 + " }"
    answer = await client.graphql(deep)
    assert answer["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_token_limit(client):
    answer = await client.graphql("{ agents { " + "uuid " * 3000 + "} }")
    assert answer["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_graphiql_is_served_to_browsers(client, server):
    async with client.http.get(server.url("/api/voice/graphql"), headers={"Accept": "text/html"}) as answer:
        assert answer.status == 200
        assert "graphiql" in (await answer.text()).lower()


async def test_operations_are_counted_in_metrics(client, server):
    await client.graphql("{ agents { uuid } }")
    await client.get("/agents/agt_000000000000")
    async with client.http.get(server.url("/metrics")) as answer:
        text = await answer.text()
    assert 'voiceai_graphql_operations_total{operation="agents",outcome="ok",type="query"}' in text
    assert 'voiceai_http_requests_total{method="GET",route="/api/voice/agents/{agent_uuid}",status="404"}' in text
    assert "agt_000000000000" not in text
