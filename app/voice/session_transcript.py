"""The conversation so far: LLM history, the turns for post-call analysis, and transcript reporting."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from app.calls.contract import Speaker
from app.voice.analysis import Turn

if TYPE_CHECKING:
    from app.voice.session import CallSession

log = logging.getLogger("app.voice.session")


class Conversation:
    def __init__(self, session: "CallSession") -> None:
        self._session = session
        self.history: list[dict[str, Any]] = []   # what the LLM sees (agent: only what was heard)
        self.turns: list[Turn] = []

    async def transcript(self, speaker: Speaker, text: str, at: float) -> None:
        """Reports one finished turn; a failing reporter or transport never breaks the call."""
        session = self._session
        self.turns.append(Turn(speaker, text))
        try:
            await session.reporter.transcript(session.call_id, speaker, text, round(max(0.0, at), 2))
            await session.output.send_transcript(speaker, text, round(max(0.0, at), 2))
        except Exception:
            log.exception("reporting a transcript of call %s failed", session.call_id)
