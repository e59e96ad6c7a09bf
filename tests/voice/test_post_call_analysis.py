"""After the call: summary, sentiment and key_details in the spec's extraction schema 1.0 plus QMS scores,
from the LLM's structured output or, without an LLM, from a heuristic with the same shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import pytest_asyncio

from app.calls.contract import CallEnd, Speaker
from app.voice.analysis import AnalysisFailure, HeuristicAnalyser, LLMAnalyser, Turn
from app.voice.analysis_choice import AnalyserChoice
from tests.fakes.openai_server import FakeOpenAI
from tests.voice.harness import Call

EXTRACTION_KEYS = {"schema_version", "outcome", "requirement", "objection", "disposition", "next_action"}
END = CallEnd(outcome="connected", ended_at=datetime.now(UTC), duration_seconds=42, end_reason="agent_hangup")
TURNS = [
    Turn(Speaker.AGENT, "Hi, this is Aria. How can I help?"),
    Turn(Speaker.CUSTOMER, "I want the oak desk delivered to 560001 this week, but it is a bit expensive"),
    Turn(Speaker.AGENT, "I understand. Shall I check offers?"),
    Turn(Speaker.CUSTOMER, "Yes, thank you"),
]
ANSWER = {
    "summary": "Wants a desk.",
    "sentiment": "positive",
    "extraction": {
        "schema_version": "1.0",
        "outcome": {"call_outcome": "interested", "intent_score": 80, "verbatim_quote": "Yes"},
        "requirement": {
            "product_category": "desk",
            "budget_signal": None,
            "timeline": "this week",
            "zip_code": "560001",
            "city": "Bengaluru",
        },
        "objection": {"category": "price", "detail": "a bit expensive", "competitor_mentioned": None},
        "disposition": {"lead_stage": "Interested", "reason": "Offer", "sub_reason": "", "sub_sub_reason": ""},
        "next_action": {"type": "callback", "transfer_target": None, "agent_brief": ""},
    },
    "qms_scores": {"opening": 3, "energy": 2, "probing": 1, "closing": 3},
}


def _context(flow_config: dict) -> SimpleNamespace:
    """The one part of a CallContext the analyser choice reads."""
    return SimpleNamespace(flow_config=flow_config)


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
    openai_server.completion = json.dumps(ANSWER)
    analysis = await LLMAnalyser("sk", "m", openai_server.url).analyse(TURNS, END)
    assert analysis.summary == "Wants a desk." and analysis.key_details == {
        "extraction": ANSWER["extraction"],
        "qms_scores": ANSWER["qms_scores"],
    }
    request = openai_server.requests[0]
    assert request["response_format"]["type"] == "json_schema"
    schema = request["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]["extraction"]["required"]) == EXTRACTION_KEYS - {"schema_version"}
    assert "customer: Yes, thank you" in request["messages"][1]["content"]


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("not json", AnalysisFailure.INVALID),
        (json.dumps({**ANSWER, "sentiment": "ecstatic"}), AnalysisFailure.INVALID),
        (json.dumps({**ANSWER, "extraction": {"outcome": {"call_outcome": "connected"}}}), AnalysisFailure.INVALID),
        (json.dumps({**ANSWER, "qms_scores": {"opening": 9, "energy": 2, "probing": 1}}), AnalysisFailure.INVALID),
    ],
)
async def test_an_answer_off_the_schema_falls_back_to_the_heuristic(openai_server, answer, reason):
    openai_server.completion = answer
    failures: list[AnalysisFailure] = []
    analysis = await LLMAnalyser("sk", "m", openai_server.url, on_failure=failures.append).analyse(TURNS, END)
    assert set(analysis.key_details["extraction"]) == EXTRACTION_KEYS
    assert analysis.key_details["extraction"]["objection"]["category"] == "price"  # the heuristic's reading
    assert failures == [reason]


async def test_a_slow_or_failing_llm_falls_back_to_the_heuristic(openai_server):
    openai_server.completion = json.dumps(ANSWER)
    failures: list[AnalysisFailure] = []
    openai_server.completion_delay = 2.0
    slow = LLMAnalyser("sk", "m", openai_server.url, timeout=0.3, on_failure=failures.append)
    assert set((await slow.analyse(TURNS, END)).key_details["extraction"]) == EXTRACTION_KEYS
    openai_server.completion_delay, openai_server.fail_status = 0.0, 400
    failing = LLMAnalyser("sk", "m", openai_server.url, on_failure=failures.append)
    assert (await failing.analyse(TURNS, END)).summary.startswith("2 caller turns")
    assert failures == [AnalysisFailure.TIMEOUT, AnalysisFailure.ERROR]


async def test_a_flow_brings_its_own_extraction_schema(openai_server):
    schema = {
        "type": "object",
        "required": ["desk_size"],
        "additionalProperties": False,
        "properties": {"desk_size": {"type": "string", "enum": ["small", "large"]}},
    }
    analyser = AnalyserChoice({"VOICEAI_LLM_API_KEY": "sk", "VOICEAI_LLM_BASE_URL": openai_server.url}).for_call(
        _context({"extraction_schema": schema})
    )
    openai_server.completion = json.dumps({**ANSWER, "extraction": {"desk_size": "large"}})
    analysis = await analyser.analyse(TURNS, END)
    assert analysis.key_details["extraction"] == {"desk_size": "large", "schema_version": "1.0"}
    assert openai_server.requests[-1]["response_format"]["json_schema"]["schema"]["properties"]["extraction"] == schema
    openai_server.completion = json.dumps(ANSWER)  # schema 1.0 is not this flow's schema
    assert (await analyser.analyse(TURNS, END)).summary != ANSWER["summary"]


def test_without_an_llm_key_calls_get_the_heuristic():
    assert isinstance(AnalyserChoice({}).for_call(_context({})), HeuristicAnalyser)
    broken = {"extraction_schema": {"type": "object", "properties": {"x": {"type": "no-such-type"}}}}
    chosen = AnalyserChoice({"VOICEAI_LLM_API_KEY": "sk"}).for_call(_context(broken))
    assert isinstance(chosen, LLMAnalyser) and chosen.schema["properties"]["extraction"]["required"][0] == "outcome"


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
