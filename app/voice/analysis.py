"""After the call: summary, sentiment and `key_details` (extraction schema 1.0 + QMS scores).

With an LLM: one structured-output request (JSON schema, strict). Without one, or when it fails: a
keyword heuristic that fills the same shape, so downstream code never sees a different schema.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from app.calls.reporting import CallAnalysis, CallEnd, Speaker

log = logging.getLogger("app.voice.analysis")
SCHEMA_VERSION = "1.0"

POSITIVE = ("thank", "great", "good", "interested", "yes", "sure", "perfect", "love", "accha", "haan", "bahut")
NEGATIVE = ("not interested", "don't call", "stop calling", "angry", "bad", "worst", "expensive", "no thanks",
            "complaint", "useless", "nahi")
OBJECTIONS = {"price": ("expensive", "price", "costly", "budget", "mehenga"),
              "delivery_time": ("delivery", "late", "days", "shipping"),
              "timing": ("later", "busy", "call back", "not now", "baad mein"),
              "not_interested": ("not interested", "don't need", "no need", "nahi chahiye")}


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
        transferred = end.outcome == "warm_transfer"
        extraction = {
            "schema_version": SCHEMA_VERSION,
            "outcome": {"call_outcome": end.outcome, "intent_score": 70 if interested else 30 if caller else 0,
                        "verbatim_quote": quote},
            "requirement": {"product_category": None, "budget_signal": _budget(said), "timeline": _timeline(said),
                            "zip_code": _zip(said), "city": None},
            "objection": {"category": objection, "detail": next((c for c in caller if objection != "none" and
                                                                 _has(c.lower(), OBJECTIONS[objection])), ""),
                          "competitor_mentioned": "none"},
            "disposition": {"lead_stage": "Interested" if interested else "Not Interested" if objection ==
                            "not_interested" else "Unknown", "reason": objection if objection != "none" else
                            "General Enquiry", "sub_reason": end.end_reason or "", "sub_sub_reason": ""},
            "next_action": {"type": "warm_transfer" if transferred else "callback" if objection == "timing"
                            else "none", "transfer_target": None, "agent_brief": brief or ""},
        }
        qms = {"opening": 3 if agent else 0, "energy": 2 if agent else 0,
               "probing": min(3, sum("?" in a for a in agent)), "closing": 3 if end.end_reason == "agent_hangup" else 1}
        summary = (f"{len(caller)} caller turns; caller said: \"{quote[:160]}\". Outcome {end.outcome}"
                   f" ({end.end_reason}).") if caller else f"No caller speech. Outcome {end.outcome}."
        return CallAnalysis(summary=summary, sentiment=sentiment, key_details={"extraction": extraction,
                                                                              "qms_scores": qms})


def _budget(text: str) -> int | None:
    match = re.search(r"(?:rs\.?|₹|\$|rupees?\s)?\s?(\d{3,7})\b", text)
    return int(match.group(1)) if match and not _zip(text) == match.group(1) else None


def _zip(text: str) -> str | None:
    match = re.search(r"\b(\d{6}|\d{5})\b", text)
    return match.group(1) if match else None


def _timeline(text: str) -> str | None:
    for word in ("today", "tomorrow", "this week", "next week", "this month", "kal", "aaj"):
        if word in text:
            return word
    return None


ANALYSIS_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["summary", "sentiment", "extraction", "qms_scores"],
    "properties": {
        "summary": {"type": "string"},
        "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
        "extraction": {"type": "object"},
        "qms_scores": {"type": "object"},
    },
}


class LLMAnalyser:
    """Structured output from an OpenAI-compatible endpoint; the heuristic when anything goes wrong."""

    def __init__(self, api_key: str, model: str, base_url: str | None = None) -> None:
        from openai import AsyncOpenAI

        self._client = AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=30, max_retries=1)
        self.model = model
        self.fallback = HeuristicAnalyser()

    async def analyse(self, turns: list[Turn], end: CallEnd, brief: str | None = None) -> CallAnalysis:
        transcript = "\n".join(f"{t.speaker.value}: {t.text}" for t in turns)
        instructions = ("Analyse this sales/support phone call. Answer JSON with summary, sentiment, extraction "
                        "(schema_version '1.0' with outcome, requirement, objection, disposition, next_action, as in "
                        "the platform's documented example) and qms_scores (opening, energy, probing: 0-3). "
                        f"Call outcome: {end.outcome}; end reason: {end.end_reason}.")
        try:
            answer = await self._client.chat.completions.create(
                model=self.model, messages=[{"role": "system", "content": instructions},
                                            {"role": "user", "content": transcript}],
                response_format={"type": "json_schema", "json_schema": {"name": "call_analysis",
                                                                        "schema": ANALYSIS_SCHEMA}})
            data = json.loads(answer.choices[0].message.content or "")
            extraction = dict(data["extraction"])
            extraction["schema_version"] = SCHEMA_VERSION
            return CallAnalysis(summary=str(data["summary"]), sentiment=str(data["sentiment"]),
                                key_details={"extraction": extraction, "qms_scores": dict(data["qms_scores"])})
        except Exception as error:
            log.warning("LLM call analysis failed (%s); using the heuristic", error)
            return await self.fallback.analyse(turns, end, brief)
