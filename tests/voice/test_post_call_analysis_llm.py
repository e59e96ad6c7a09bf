"""With `VOICEAI_LLM_*` set, a call's post-call analysis is the LLM's validated answer: what the fake LLM
server answers over its socket is what `GET /calls/{uuid}` shows; an invalid answer leaves the heuristic's
result, counted in `/metrics`."""

from __future__ import annotations

import asyncio
import json

import pytest_asyncio

from tests.conftest import new_client
from tests.fakes.openai_server import FakeOpenAI
from tests.voice.conftest import create_flow
from tests.voice.test_post_call_analysis import ANSWER, EXTRACTION_KEYS
from tests.voice.test_with_call_records import events_until


@pytest_asyncio.fixture
async def llm():
    server = await FakeOpenAI(text_pieces=["Happy to help."]).start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def llm_platform(start_server, llm):
    """A server started with VOICEAI_LLM_API_KEY/BASE_URL pointing at the fake, and its default voice routes."""
    return await start_server(
        extra={
            "VOICEAI_LLM_API_KEY": "sk-test",
            "VOICEAI_LLM_BASE_URL": llm.url,
            "VOICEAI_LLM_MODEL": "gpt-test",
            "VOICEAI_LLM_ANALYSIS_TIMEOUT_SECONDS": "5",
        }
    )


async def _test_call(http, client, flow) -> dict:
    """A browser-test call: the agent opens, the tester hangs up; the call record once it is written up."""
    ws = await http.ws_connect(client.server.ws_url(f"/api/voice/ws/browser-test/{flow['uuid']}?token={client.token}"))
    await events_until(ws, lambda e: any(x.get("speaker") == "agent" for x in e), timeout=30)
    await ws.send_str(json.dumps({"type": "stop"}))
    await events_until(ws, lambda e: any(x["type"] == "end" for x in e), timeout=30)
    await ws.close()
    for _ in range(100):
        calls = (await client.get("/calls", params={"flow_uuid": flow["uuid"]})).body["calls"]
        if calls and calls[0]["summary"]:
            return (await client.get(f"/calls/{calls[0]['uuid']}")).body
        await asyncio.sleep(0.1)
    raise AssertionError("the call was never analysed")


async def _fallbacks(http, server, reason: str) -> float:
    async with http.get(server.url("/metrics")) as answer:
        text = await answer.text()
    line = next(
        (
            line
            for line in text.splitlines()
            if line.startswith(f'voiceai_call_analysis_fallbacks_total{{reason="{reason}"}}')
        ),
        None,
    )
    return float(line.split()[-1]) if line else 0.0


async def test_the_llms_answer_is_what_the_call_shows(http, llm, llm_platform):
    client = await new_client(http, llm_platform)
    llm.completion = json.dumps(ANSWER)
    flow = await create_flow(client)
    call = await _test_call(http, client, flow)
    assert call["key_details"] == {"extraction": ANSWER["extraction"], "qms_scores": ANSWER["qms_scores"]}
    assert (call["summary"], call["sentiment"]) == (ANSWER["summary"], ANSWER["sentiment"])
    asked = [request for request in llm.requests if not request.get("stream")]
    assert len(asked) == 1 and asked[0]["model"] == "gpt-test"
    assert asked[0]["response_format"]["json_schema"]["name"] == "call_analysis"


async def test_the_flows_extraction_schema_is_asked_for_and_an_invalid_answer_is_counted(http, llm, llm_platform):
    client = await new_client(http, llm_platform)
    schema = {
        "type": "object",
        "required": ["desk_size"],
        "properties": {"desk_size": {"type": "string", "enum": ["small", "large"]}},
    }
    flow = await create_flow(client, extraction_schema=schema)
    llm.completion = json.dumps({**ANSWER, "extraction": {"desk_size": "large"}})
    call = await _test_call(http, client, flow)
    assert call["key_details"]["extraction"] == {"desk_size": "large", "schema_version": "1.0"}
    asked = [request for request in llm.requests if not request.get("stream")][-1]
    assert asked["response_format"]["json_schema"]["schema"]["properties"]["extraction"] == schema

    before = await _fallbacks(http, llm_platform, "invalid")
    llm.completion = json.dumps({**ANSWER, "extraction": {"desk_size": "enormous"}})
    second = await create_flow(client, extraction_schema=schema)
    call = await _test_call(http, client, second)
    assert set(call["key_details"]["extraction"]) == EXTRACTION_KEYS  # the heuristic's schema 1.0
    assert await _fallbacks(http, llm_platform, "invalid") == before + 1
