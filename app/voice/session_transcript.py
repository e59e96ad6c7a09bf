"""The conversation so far: LLM history, the turns for post-call analysis, and transcript reporting."""

from __future__ import annotations

import logging
from typing import Any

from app.calls.contract import CallReporter, Speaker
from app.latency.turns import TurnLatency
from app.voice.analysis import Turn
from app.voice.output import CallOutput
from app.voice.session_facts import CallFacts

log = logging.getLogger("app.voice.session")


class Conversation:
    def __init__(self, facts: CallFacts, reporter: CallReporter, output: CallOutput) -> None:
        self._facts = facts
        self._reporter = reporter
        self._output = output
        self.history: list[dict[str, Any]] = []  # what the LLM sees (agent: only what was heard)
        self.turns: list[Turn] = []

    async def transcript(self, speaker: Speaker, text: str, at: float, latency: TurnLatency | None = None) -> None:
        """Reports one finished turn (an agent reply with its latency: one row update); a failing reporter or
        transport never breaks the call."""
        self.turns.append(Turn(speaker, text))
        call_id = self._facts.call_id
        try:
            assert call_id is not None, "a transcript before the call was reported"
            await self._reporter.transcript(call_id, speaker, text, round(max(0.0, at), 2), latency)
            await self._output.send_transcript(speaker, text, round(max(0.0, at), 2))
        except Exception:
            log.exception("reporting a transcript of call %s failed", call_id)
