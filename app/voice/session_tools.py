"""One round of HTTP tool calls inside an agent reply (issue 16).

The requests leave as soon as the model has asked for them, while the model's own words ("let me check")
still play. If the answer takes longer than `filler_after` seconds and nothing is playing, the agent says the
tool's waiting line (or a default in the call's language) instead of dead air; the player stays interruptible,
so a caller who speaks meanwhile barges in as always (the reply is cancelled; an unfinished request is
recorded as `cancelled`). The round ends with the messages the model sees next: its tool calls and their
answers, a bad call answered as an error it can recover from.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from app.tools.in_call import CallTools, ToolOutcome
from app.tools.phrases import apology, waiting_line
from app.voice.providers.base import Message, ToolCall
from app.voice.utterance import Utterance


class Speaking(Protocol):
    """What a tool round needs of the agent's speech (`session_speech.AgentSpeech`)."""

    def new_utterance(self, kind: str) -> Utterance: ...

    async def speak_into(self, utterance: Utterance, sentence: str) -> None: ...


@dataclass(frozen=True)
class RoundResult:
    messages: list[Message]  # the assistant's tool calls, then one tool message per call
    outcomes: list[ToolOutcome]

    @property
    def apologise(self) -> bool:
        return any(outcome.apologise for outcome in self.outcomes)


class ToolRound:
    def __init__(
        self,
        *,
        tools: CallTools,
        speech: Speaking,
        language: Callable[[], str],
        elapsed: Callable[[], float],
        filler_after: float = 1.0,
    ) -> None:
        self._tools = tools
        self._speech = speech
        self._language = language
        self._elapsed = elapsed
        self._filler_after = filler_after

    def specs(self) -> list[dict[str, Any]]:
        return self._tools.specs()

    def is_http(self, call: ToolCall) -> bool:
        return self._tools.get(call.name) is not None

    async def run(self, calls: list[ToolCall], preface: Utterance | None, round_number: int) -> RoundResult:
        ids = [call.id or f"call_{round_number}_{index}" for index, call in enumerate(calls)]
        at = self._elapsed()
        pending = asyncio.ensure_future(asyncio.gather(*(self._tools.run(c.name, c.arguments, at) for c in calls)))
        try:
            await asyncio.wait({pending}, timeout=self._filler_after)
            if not pending.done() and preface is not None and not preface.finished.is_set():
                heard = asyncio.ensure_future(preface.finished.wait())
                waiting: set[asyncio.Future[Any]] = {pending, heard}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                heard.cancel()
            if not pending.done():
                await self._say(self._waiting_line(calls), "tool-wait")
            outcomes: list[ToolOutcome] = list(await pending)
        finally:
            if not pending.done():
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
        assistant: Message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
                }
                for call_id, call in zip(ids, calls, strict=True)
            ],
        }
        answers: list[Message] = [
            {"role": "tool", "tool_call_id": call_id, "content": outcome.content}
            for call_id, outcome in zip(ids, outcomes, strict=True)
        ]
        return RoundResult([assistant, *answers], outcomes)

    async def apologise(self) -> Utterance:
        """A tool timed out or failed: say so, and the conversation goes on."""
        return await self._say(apology(self._language()), "tool-apology")

    def _waiting_line(self, calls: list[ToolCall]) -> str:
        own = next(
            (
                tool.speak_while_waiting
                for tool in map(self._tools.get, (c.name for c in calls))
                if tool is not None and tool.speak_while_waiting
            ),
            None,
        )
        return waiting_line(self._language(), own)

    async def _say(self, text: str, kind: str) -> Utterance:
        utterance = self._speech.new_utterance(kind)
        try:
            await self._speech.speak_into(utterance, text)
        finally:
            utterance.finish()
        return utterance
