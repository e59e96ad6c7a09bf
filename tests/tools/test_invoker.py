"""Issue 16 §1: a tool request is signed like a webhook (the receiver can verify either signature with the
tools secret), carries the call's ids and the arguments, refuses private addresses unless allowed, keeps to
the tool's timeout, and caps the answer given to the model."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs

import pytest
import pytest_asyncio

from app.tools.definitions import ToolDefinition, ToolMethod
from app.tools.in_call import CallTools
from app.tools.invoker import MAX_ANSWER_BYTES, CallIds, HttpToolTransport
from app.tools.records import InvocationRecord, ToolStatus
from app.webhooks.signing import new_secret, standard_key
from tests.fakes.tool_server import FakeToolServer

SECRET = new_secret()
FACTS = CallIds("cal_000000000001", "flw_000000000001", "cst_000000000001")
SCHEMA = {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}


@pytest_asyncio.fixture
async def tools_server():
    server = await FakeToolServer(slow_seconds=1.5).start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def transport():
    transport = HttpToolTransport(allow_private=True)
    yield transport
    await transport.aclose()


def tool(url: str, method: ToolMethod = ToolMethod.POST, timeout: float = 5.0) -> ToolDefinition:
    return ToolDefinition("order_status", "Order status.", SCHEMA, method, url, {"Authorization": "Bearer t"}, timeout)


class Records:
    def __init__(self) -> None:
        self.seen: list[tuple[str, InvocationRecord]] = []

    async def record(self, call_id: str, invocation: InvocationRecord) -> None:
        self.seen.append((call_id, invocation))


async def test_a_post_is_signed_and_carries_the_call_and_the_arguments(tools_server, transport):
    answer = await transport.invoke(tool(tools_server.url + "/order"), {"order_id": "123"}, FACTS, SECRET)
    assert answer.success and json.loads(answer.body) == {"status": "shipped", "eta": "tomorrow"}
    [request] = tools_server.requests
    assert request.json() == {
        "tool": "order_status",
        "call_id": FACTS.call_id,
        "flow_id": FACTS.flow_id,
        "customer_id": FACTS.customer_id,
        "arguments": {"order_id": "123"},
    }
    headers = request.headers
    assert headers["Authorization"] == "Bearer t" and headers["Content-Type"] == "application/json"
    assert headers["X-NN-Signature"] == hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(standard_key(SECRET), signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == "v1," + expected


async def test_a_get_sends_the_fields_as_query_parameters_and_signs_the_query(tools_server, transport):
    answer = await transport.invoke(tool(tools_server.url + "/order", ToolMethod.GET), {"order_id": "9"}, FACTS, SECRET)
    assert answer.success
    [request] = tools_server.requests
    query = parse_qs(request.query)
    assert json.loads(query["arguments"][0]) == {"order_id": "9"} and query["call_id"] == [FACTS.call_id]
    assert (
        request.headers["X-NN-Signature"]
        == hmac.new(SECRET.encode(), request.query.encode(), hashlib.sha256).hexdigest()
    )


async def test_private_addresses_are_refused_unless_allowed(tools_server):
    guarded = HttpToolTransport(allow_private=False)
    try:
        answer = await guarded.invoke(tool(tools_server.url + "/order"), {"order_id": "1"}, FACTS, SECRET)
        named = await guarded.invoke(
            tool(tools_server.url.replace("127.0.0.1", "localhost") + "/order"), {"order_id": "1"}, FACTS, SECRET
        )
    finally:
        await guarded.aclose()
    assert answer.refused and named.refused and not tools_server.requests


async def test_the_tool_timeout_holds_and_the_answer_is_capped(tools_server, transport):
    slow = await transport.invoke(tool(tools_server.url + "/slow", timeout=0.3), {"order_id": "1"}, FACTS, SECRET)
    assert slow.timed_out and slow.status is None
    big = await transport.invoke(tool(tools_server.url + "/big"), {"order_id": "1"}, FACTS, SECRET)
    assert big.success and len(big.body.encode()) <= MAX_ANSWER_BYTES + 40 and big.body.endswith("(truncated)")


async def test_bad_arguments_go_back_to_the_model_and_nothing_is_sent(tools_server, transport):
    records = Records()
    belt = CallTools([tool(tools_server.url + "/order")], transport, SECRET, FACTS, records)
    outcome = await belt.run("order_status", {"order": 5}, at=3.0)
    assert outcome.status == ToolStatus.INVALID_ARGUMENTS and not outcome.apologise
    assert "'order_id' is a required property" in json.loads(outcome.content)["error"]
    assert not tools_server.requests
    assert records.seen[0][1].status == ToolStatus.INVALID_ARGUMENTS


@pytest.mark.parametrize(
    "path, status", [("/order", ToolStatus.OK), ("/fail", ToolStatus.HTTP_ERROR), ("/slow", ToolStatus.TIMEOUT)]
)
async def test_every_invocation_is_recorded_with_its_status(tools_server, transport, path, status):
    records = Records()
    belt = CallTools([tool(tools_server.url + path, timeout=0.5)], transport, SECRET, FACTS, records)
    outcome = await belt.run("order_status", {"order_id": "42"}, at=1.25)
    assert outcome.status == status and outcome.apologise == (status != ToolStatus.OK)
    [(call_id, record)] = records.seen
    assert call_id == FACTS.call_id and record.tool == "order_status" and record.arguments == {"order_id": "42"}
    assert record.status == status and record.at == 1.25 and record.latency_ms >= 0
    if status == ToolStatus.OK:
        assert json.loads(record.result)["status"] == "shipped" and record.http_status == 200
    if status == ToolStatus.HTTP_ERROR:
        assert record.http_status == 500 and "database down" in record.result
