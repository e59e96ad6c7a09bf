"""A deterministic dialogue policy that follows the flow's script: the offline stand-in for an LLM.

It reads the latest caller message and: says goodbye (closing line + `end_call`) on a farewell, asks for a
human with `transfer_to_human`, answers an FAQ entry whose keywords the caller used, else walks the talking
points, else asks the caller to go on. Streams word by word like a real model.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, AsyncIterator

from app.voice.context import ScriptView
from app.voice.providers.base import LLMEvent, Message, TextDelta, ToolCall

FAREWELLS = ("bye", "goodbye", "good bye", "that's all", "thats all", "no thanks", "no thank you", "alvida",
             "hang up", "not interested", "dhanyavaad", "dhanyavad")
HUMAN = ("human", "person", "agent", "representative", "someone", "transfer", "manager", "real person")
STOPWORDS = frozenset("the a an is are do does you your i me my we to of for in on at it this that and or "
                      "what how when where can could would will with about have has there".split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\w']+", text.lower()) if w not in STOPWORDS and len(w) > 2}


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    lowered = f" {text.lower()} "
    return any(re.search(rf"\b{re.escape(p)}\b", lowered) for p in phrases)


class ScriptedPolicy:
    def __init__(self, script: ScriptView | None = None, delay: float = 0.0) -> None:
        self.script = script or ScriptView()
        self.delay = delay

    async def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        text, tool = self.reply(messages)
        for index, word in enumerate(text.split(" ")):
            if self.delay:
                await asyncio.sleep(self.delay)
            yield TextDelta(word if index == 0 else " " + word)
        if tool is not None and any(t["function"]["name"] == tool.name for t in tools):
            yield tool

    def reply(self, messages: list[Message]) -> tuple[str, ToolCall | None]:
        said = [m.get("content") or "" for m in messages if m.get("role") == "user"]
        last = said[-1] if said else ""
        if _has(last, FAREWELLS):
            closing = self.script.closing_line or "Thank you for your time. Goodbye!"
            return closing, ToolCall("end_call", {"reason": "caller_goodbye"})
        if _has(last, HUMAN):
            return ("Sure, let me connect you with a colleague.",
                    ToolCall("transfer_to_human", {"target": "support", "agent_brief": f"Caller asked: {last}"}))
        answer = self._faq(last)
        if answer:
            return answer, None
        agent_turns = [m.get("content") or "" for m in messages if m.get("role") == "assistant"]
        for point in self.script.talking_points:
            if not any(point in turn for turn in agent_turns):
                return point, None
        return "I see. Could you tell me a little more?", None

    def _faq(self, text: str) -> str | None:
        heard = _words(text)
        best, score = None, 0
        for entry in self.script.faq:
            overlap = len(heard & _words(entry.question))
            if overlap > score:
                best, score = entry.answer, overlap
        return best
