"""After the call: summary, sentiment and `key_details` (extraction schema 1.0 + QMS scores).

With an LLM: one structured-output request (JSON schema, `analysis_schema.py`), its answer validated.
Without one, or when it fails, times out or answers off-schema: a keyword heuristic that fills the same
shape, so downstream code never sees a different schema. `analysis_choice.py` decides per call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from app.calls.contract import CallAnalysis, CallEnd, Speaker
from app.calls.lifecycle import CallOutcome, EndReason
from app.voice.analysis_schema import analysis_schema, validator
from app.voice.providers.openai_chat import ChatCompletions

log = logging.getLogger("app.voice.analysis")
SCHEMA_VERSION = "1.0"

POSITIVE = ("thank", "great", "good", "interested", "yes", "sure", "perfect", "love", "accha", "haan", "bahut")
NEGATIVE = (
    "not interested",
    "don't call",
    "stop calling",
    "angry",
    "bad",
    "worst",
    "expensive",
    "no thanks",
    "complaint",
    "useless",
    "nahi",
)
OBJECTIONS = {
    "price": ("expensive", "price", "costly", "budget", "mehenga"),
    "delivery_time": ("delivery", "late", "days", "shipping"),
    "timing": ("later", "busy", "call back", "not now", "baad mein"),
    "not_interested": ("not interested", "don't need", "no need", "nahi chahiye"),
}


@dataclass(frozen=True)
class Turn:
    speaker: Speaker
    text: str


class CallAnalyser(Protocol):
    async def analyse(self, turns: list[Turn], end: CallEnd, brief: str | None = None) -> CallAnalysis: ...


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}", text) for w in words)


class HeuristicAnalyser:
    async def analyse(self, turns: list[Turn], end: CallEnd, brief: str | None = None) -> CallAnalysis:
        caller = [t.text for t in turns if t.speaker == Speaker.CUSTOMER]
        agent = [t.text for t in turns if t.speaker == Speaker.AGENT]
        said = " ".join(caller).lower()
        score = sum(_has(said, (w,)) for w in POSITIVE) - 2 * sum(_has(said, (w,)) for w in NEGATIVE)
        sentiment = "positive" if score > 0 else "negative" if score < 0 else "neutral"
        objection = next((name for name, words in OBJECTIONS.items() if _has(said, words)), "none")
        quote = max(caller, key=len) if caller else ""
        interested = sentiment == "positive" and objection != "not_interested"
        transferred = end.outcome == CallOutcome.WARM_TRANSFER
        extraction = {
            "schema_version": SCHEMA_VERSION,
            "outcome": {
                "call_outcome": end.outcome,
                "intent_score": 70 if interested else 30 if caller else 0,
                "verbatim_quote": quote,
            },
            "requirement": {
                "product_category": None,
                "budget_signal": _budget(said),
                "timeline": _timeline(said),
                "zip_code": _zip(said),
                "city": None,
            },
            "objection": {
                "category": objection,
                "detail": next(
                    (c for c in caller if objection != "none" and _has(c.lower(), OBJECTIONS[objection])), ""
                ),
                "competitor_mentioned": "none",
            },
            "disposition": {
                "lead_stage": "Interested"
                if interested
                else "Not Interested"
                if objection == "not_interested"
                else "Unknown",
                "reason": objection if objection != "none" else "General Enquiry",
                "sub_reason": end.end_reason or "",
                "sub_sub_reason": "",
            },
            "next_action": {
                "type": "warm_transfer" if transferred else "callback" if objection == "timing" else "none",
                "transfer_target": None,
                "agent_brief": brief or "",
            },
        }
        qms = {
            "opening": 3 if agent else 0,
            "energy": 2 if agent else 0,
            "probing": min(3, sum("?" in a for a in agent)),
            "closing": 3 if end.end_reason == EndReason.AGENT_HANGUP else 1,
        }
        summary = (
            (f'{len(caller)} caller turns; caller said: "{quote[:160]}". Outcome {end.outcome} ({end.end_reason}).')
            if caller
            else f"No caller speech. Outcome {end.outcome}."
        )
        return CallAnalysis(
            summary=summary, sentiment=sentiment, key_details={"extraction": extraction, "qms_scores": qms}
        )


def _budget(text: str) -> int | None:
    match = re.search(r"(?:rs\.?|₹|\$|rupees?\s)?\s?(\d{3,7})\b", text)
    return int(match.group(1)) if match and _zip(text) != match.group(1) else None


def _zip(text: str) -> str | None:
    match = re.search(r"\b(\d{6}|\d{5})\b", text)
    return match.group(1) if match else None


def _timeline(text: str) -> str | None:
    for word in ("today", "tomorrow", "this week", "next week", "this month", "kal", "aaj"):
        if word in text:
            return word
    return None


ANALYSIS_SCHEMA: dict[str, Any] = analysis_schema()
ANALYSIS_TIMEOUT_SECONDS = 30.0


class AnalysisFailure(str, Enum):
    """Why an LLM analysis was replaced by the heuristic (the `reason` label of its metric)."""

    TIMEOUT = "timeout"
    ERROR = "error"  # the request failed: connection, HTTP status, refusal
    INVALID = "invalid"  # the answer is not JSON or does not satisfy the schema


FailureCounter = Callable[[AnalysisFailure], None]


class LLMAnalyser:
    """Structured output from an OpenAI-compatible endpoint, validated against the JSON schema it was asked
    for; on a timeout, a failed request or an invalid answer, the heuristic's result (logged and counted)."""

    def __init__(
        self,
        api_key: str | None,
        model: str,
        base_url: str | None = None,
        *,
        timeout: float = ANALYSIS_TIMEOUT_SECONDS,
        extraction_schema: dict[str, Any] | None = None,
        on_failure: FailureCounter | None = None,
        client: ChatCompletions | None = None,
    ) -> None:
        if client is None:
            client = ChatCompletions(api_key or "", base_url, timeout=timeout)
        self._client = client
        self.model = model
        self.timeout = timeout
        self.schema = analysis_schema(extraction_schema)
        self._validator = validator(self.schema)
        self._on_failure = on_failure
        self.fallback = HeuristicAnalyser()

    def with_extraction_schema(self, extraction_schema: dict[str, Any] | None) -> LLMAnalyser:
        """The same client and settings, for a flow with its own extraction schema."""
        return LLMAnalyser(
            None,
            self.model,
            timeout=self.timeout,
            extraction_schema=extraction_schema,
            on_failure=self._on_failure,
            client=self._client,
        )

    async def analyse(self, turns: list[Turn], end: CallEnd, brief: str | None = None) -> CallAnalysis:
        try:
            data = await asyncio.wait_for(self._ask(turns, end), self.timeout)
        except TimeoutError:
            return await self._fall_back(
                AnalysisFailure.TIMEOUT, f"no answer within {self.timeout:g} s", turns, end, brief
            )
        except _InvalidAnswer as error:
            return await self._fall_back(AnalysisFailure.INVALID, str(error), turns, end, brief)
        except Exception as error:
            return await self._fall_back(AnalysisFailure.ERROR, f"{type(error).__name__}: {error}", turns, end, brief)
        extraction = dict(data["extraction"])
        extraction.setdefault("schema_version", SCHEMA_VERSION)
        return CallAnalysis(
            summary=data["summary"],
            sentiment=data["sentiment"],
            key_details={"extraction": extraction, "qms_scores": dict(data["qms_scores"])},
        )

    async def _ask(self, turns: list[Turn], end: CallEnd) -> dict[str, Any]:
        transcript = "\n".join(f"{t.speaker.value}: {t.text}" for t in turns)
        instructions = (
            "Analyse this sales/support phone call. Answer JSON matching the given schema: summary, "
            "sentiment, extraction and qms_scores (opening, energy, probing, closing: 0-3). "
            f"Call outcome: {end.outcome}; end reason: {end.end_reason}."
        )
        answer = await self._client.create(
            {
                "model": self.model,
                "messages": [{"role": "system", "content": instructions}, {"role": "user", "content": transcript}],
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "call_analysis", "schema": self.schema},
                },
            }
        )
        content = _content(answer)
        try:
            data: dict[str, Any] = json.loads(content)
        except ValueError:
            raise _InvalidAnswer(f"the answer is not JSON: {content[:120]!r}") from None
        problem = next(iter(sorted(self._validator.iter_errors(data), key=lambda e: list(e.absolute_path))), None)
        if problem is not None:
            where = "/".join(str(part) for part in problem.absolute_path) or "the answer"
            raise _InvalidAnswer(f"{where}: {problem.message}")
        return data

    async def _fall_back(
        self, reason: AnalysisFailure, detail: str, turns: list[Turn], end: CallEnd, brief: str | None
    ) -> CallAnalysis:
        log.warning("LLM call analysis failed (%s: %s); using the heuristic", reason.value, detail)
        if self._on_failure is not None:
            self._on_failure(reason)
        return await self.fallback.analyse(turns, end, brief)


class _InvalidAnswer(Exception):
    pass


def _content(answer: dict[str, Any]) -> str:
    """The first choice's message text of a chat completion."""
    try:
        return str(answer["choices"][0]["message"].get("content") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise _InvalidAnswer(f"the answer has no message: {str(answer)[:120]}") from None
