"""Rate limits: 100/minute per client IP by default, each operation's own limit from the spec, one budget
for a GraphQL mutation and its REST twin, memory or Redis storage, 429 with Retry-After."""

from __future__ import annotations

import asyncio
import ipaddress

import redis.asyncio as redis

from app.ratelimit import unique_prefix
from tests.conftest import REDIS_URL, new_client

AGENT = {"name": "Aria", "role": "Sales"}
CREATE = "mutation($i: CreateVoiceAgentInput!) { createAgent(input: $i) { uuid } }"


async def test_the_21st_agent_in_a_minute_is_429_with_retry_after(client):
    for _ in range(20):
        assert (await client.post("/agents", json=AGENT)).status == 201
    refused = await client.post("/agents", json=AGENT)
    assert (refused.status, refused.body) == (429, {"detail": "Rate limit exceeded: 20/minute"})
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_graphql_and_rest_draw_on_one_budget(client):
    for _ in range(10):
        assert (await client.post("/agents", json=AGENT)).status == 201
    for _ in range(10):
        assert "errors" not in await client.graphql(CREATE, {"i": AGENT})
    refused = await client.graphql(CREATE, {"i": AGENT})
    assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refused["errors"][0]["extensions"]["retryAfter"] >= 1
    assert refused["errors"][0]["message"] == "Rate limit exceeded: 20/minute"
    assert (await client.post("/agents", json=AGENT)).status == 429


async def test_the_default_budget_is_100_requests_a_minute_per_ip(client):
    answers = await asyncio.gather(*(client.get("/agents") for _ in range(100)))
    assert {answer.status for answer in answers} == {200}
    refused = await client.get("/samples")
    assert (refused.status, refused.body) == (429, {"detail": "Rate limit exceeded: 100/minute"})
    assert int(refused.headers["Retry-After"]) >= 1


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(client):
    for index in range(100):
        await client.get("/agents", headers={"X-Forwarded-For": f"203.0.113.{index}"})
    assert (await client.get("/agents", headers={"X-Forwarded-For": "198.51.100.7"})).status == 429


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(http, start_server):
    proxied = await start_server(trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),))
    client = await new_client(http, proxied)
    for _ in range(100):
        assert (await client.get("/agents", headers={"X-Forwarded-For": "203.0.113.5, 127.0.0.1"})).status == 200
    assert (await client.get("/agents", headers={"X-Forwarded-For": "203.0.113.5"})).status == 429
    assert (await client.get("/agents", headers={"X-Forwarded-For": "203.0.113.6"})).status == 200


async def test_limits_can_be_switched_off_for_load_tests(http, start_server):
    unlimited = await start_server(rate_limits=False)
    client = await new_client(http, unlimited)
    answers = await asyncio.gather(*(client.post("/agents", json=AGENT) for _ in range(25)))
    assert {answer.status for answer in answers} == {201}


async def test_redis_storage_shares_one_budget_across_instances(http, start_server):
    prefix = unique_prefix()
    first = await start_server(redis_url=REDIS_URL, rate_limit_prefix=prefix)
    second = await start_server(redis_url=REDIS_URL, rate_limit_prefix=prefix)
    on_first = await new_client(http, first)
    on_second = await new_client(http, second)
    on_second.token = on_first.token
    try:
        for index in range(20):
            target = on_first if index % 2 else on_second
            assert (await target.post("/agents", json=AGENT)).status == 201
        refused = await on_first.post("/agents", json=AGENT)
        assert (refused.status, refused.body) == (429, {"detail": "Rate limit exceeded: 20/minute"})
        assert (await on_second.post("/agents", json=AGENT)).status == 429
        connection = redis.from_url(REDIS_URL)
        assert [key async for key in connection.scan_iter(f"{prefix}*")]
        await connection.aclose()
    finally:
        await first.platform.rate_limiter.reset()
