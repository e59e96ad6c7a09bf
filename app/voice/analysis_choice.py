"""Which analyser writes up a call: the LLM when `VOICEAI_LLM_API_KEY` is set (with the flow's extraction
schema, if its config carries one), else the heuristic. One OpenAI client serves every call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.voice.analysis import ANALYSIS_TIMEOUT_SECONDS, AnalysisFailure, CallAnalyser, HeuristicAnalyser, LLMAnalyser
from app.voice.analysis_schema import flow_extraction_schema
from app.voice.context import CallContext

TIMEOUT_SETTING = "VOICEAI_LLM_ANALYSIS_TIMEOUT_SECONDS"
DEFAULT_MODEL = "gpt-4o-mini"


def _timeout(value: str | None) -> float:
    if not value:
        return ANALYSIS_TIMEOUT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise ValueError(f"{TIMEOUT_SETTING} must be a number of seconds above 0, not {value!r}")
    return seconds


class AnalyserChoice:
    """`extra` is `Settings.extra` (the VOICEAI_LLM_* variables); `metrics` counts fallbacks to the heuristic."""

    def __init__(self, extra: Mapping[str, str], metrics: Any = None) -> None:
        key = extra.get("VOICEAI_LLM_API_KEY") or None
        self._llm: LLMAnalyser | None = None
        if key:
            counter = metrics.call_analysis_fallbacks if metrics is not None else None
            self._llm = LLMAnalyser(
                key,
                extra.get("VOICEAI_LLM_MODEL") or DEFAULT_MODEL,
                extra.get("VOICEAI_LLM_BASE_URL") or None,
                timeout=_timeout(extra.get(TIMEOUT_SETTING)),
                on_failure=(lambda reason: counter.labels(reason.value).inc()) if counter else None,
            )

    @property
    def uses_llm(self) -> bool:
        return self._llm is not None

    def for_call(self, context: CallContext) -> CallAnalyser:
        if self._llm is None:
            return HeuristicAnalyser()
        schema = flow_extraction_schema(context.flow_config)
        return self._llm if schema is None else self._llm.with_extraction_schema(schema)


__all__ = ["AnalyserChoice", "AnalysisFailure"]
