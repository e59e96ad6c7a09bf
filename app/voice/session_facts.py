"""The one record of a call's facts, owned by the `CallSession` and handed to the parts that state them.

Before this record the outcome, end reason, detected language, transfer brief and last activity lived in four
parts. Each fact has one writer rule here: the first end request wins, a language counts only with words.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from app.calls.lifecycle import CallOutcome, EndReason


@dataclass
class CallFacts:
    call_id: str | None = None
    started_at: float = 0.0  # call clock when the call started (the session's t0)
    last_activity: float = 0.0  # caller speech onset, a digit, a heard turn, or a re-prompt
    outcome: CallOutcome = CallOutcome.CONNECTED
    end_reason: EndReason | str = EndReason.CALLER_HANGUP  # a carrier's failure text travels as text
    language_detected: str | None = None
    transfer_brief: str | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def end(self, outcome: CallOutcome, end_reason: EndReason | str) -> None:
        """Asks for the end; the first request wins. The session's `wait()` does the teardown."""
        if not self.ended.is_set():
            self.outcome, self.end_reason = outcome, end_reason
            self.ended.set()

    def heard_language(self, language: str | None, text: str) -> None:
        """A transcript's language is a fact only when it carried words."""
        if language and text:
            self.language_detected = language

    def since_start(self, now: float) -> float:
        return now - self.started_at
