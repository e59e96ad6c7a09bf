"""After the call: summary, sentiment and key_details in the spec's extraction schema 1.0 plus QMS scores,
from the LLM's structured output or, without an LLM, from a heuristic with the same shape."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest_asyncio

from app.calls.reporting import CallEnd, Speaker
from app.voice.analysis import HeuristicAnalyser, LLMAnalyser, Turn
from tests.fakes.openai_server import FakeOpenAI
from tests.voice.harness import Call

EXTRACTION_KEYS = {"schema_version", "outcome", "requirement", "objection", "disposition", "next_action"}
END = CallEnd(outcome="connected", ended_at=datetime.now(timezone.utc), duration_seconds=42, end_reason="agent_hangup")
TURNS = [Turn(Speaker.AGENT, "Hi, this is Aria. How can I help?"),
         Turn(Speaker.CUSTOMER, "I want the oak desk delivered to 560001 this week, but it is a bit expensive"),
         Turn(Speaker.AGENT, "I understand. Shall I check offers?"), Turn(Speaker.CUSTOMER, "Yes, thank you")]


@pytest_asyncio.fixture
async def openai_server():
    server = await FakeOpenAI().start()
    yield server
    await server.stop()


async def test_the_heuristic_fills_the_documented_shape():
    analysis = await HeuristicAnalyser().analyse(TURNS, END)
    extraction = analysis.key_details["extraction"]
    assert set(extraction) == EXTRACTION_KEYS and extraction["schema_version"] == "1.0"
    assert extraction["outcome"]["call_outcome"] == "connected"
    assert extraction["objection"]["category"] == "price"
    assert extraction["requirement"]["zip_code"] == "560001" and extraction["requirement"]["timeline"] == "this week"
    assert analysis.sentiment == "neutral" and analysis.summary  # thanks, but "expensive"
    angry = await HeuristicAnalyser().analyse([Turn(Speaker.CUSTOMER, "Not interested, stop calling me")], END)
    assert angry.sentiment == "negative"
    assert angry.key_details["extraction"]["objection"]["category"] == "not_interested"
    assert set(analysis.key_details["qms_scores"]) >= {"opening", "energy", "probing"}


async def test_the_llm_answers_with_a_json_schema_and_its_result_is_used(openai_server):
    openai_server.completion = json.dumps({"summary": "Wants a desk.", "sentiment": "positive",
                                           "extraction": {"outcome": {"call_outcome": "connected"}},
                                           "qms_scores": {"opening": 3, "energy": 2, "probing": 1}})
    analysis = await LLMAnalyser("sk", "m", openai_server.url).analyse(TURNS, END)
    assert analysis.summary == "Wants a desk." and analysis.key_details["extraction"]["schema_version"] == "1.0"
    request = openai_server.requests[0]
    assert request["response_format"]["type"] == "json_schema"
    assert "customer: Yes, thank you" in request["messages"][1]["content"]


async def test_a_failing_llm_falls_back_to_the_heuristic(openai_server):
    openai_server.completion = "not json"
    analysis = await LLMAnalyser("sk", "m", openai_server.url).analyse(TURNS, END)
    assert set(analysis.key_details["extraction"]) == EXTRACTION_KEYS


async def test_the_session_reports_the_analysis_after_the_end():
    call = await Call.make().start()
    await call.agent_quiet()
    await call.say("Do you deliver to Mumbai?")
    await call.agent_quiet()
    await call.end()
    reporter = call.reporter
    assert len(reporter.ends) == 1 and len(reporter.analyses) == 1
    call_id, analysis = reporter.analyses[0]
    assert call_id == call.session.call_id
    assert analysis.key_details["extraction"]["outcome"]["verbatim_quote"] == "Do you deliver to Mumbai?"
