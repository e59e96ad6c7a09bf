"""A deterministic dialogue policy that follows the flow's script: the offline stand-in for an LLM.

It reads the latest caller message and: marks the caller do-not-call when asked (`mark_do_not_call`), books
a callback when asked to call later (`schedule_callback`), says goodbye (closing line + `end_call`) on a
farewell, asks for a human with `transfer_to_human`, calls a flow's tool whose trigger matches
(`scripted_tools`), answers an FAQ entry whose keywords the caller used, else walks the talking points, else
asks the caller to go on. After a tool answer it speaks the trigger's reply. Streams word by word like a
real model.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from app.voice.context import CallContext, ScriptView
from app.voice.language_switch import base, requested_language
from app.voice.providers.base import LLMEvent, Message, TextDelta, ToolCall
from app.voice.providers.scripted_tools import ToolTrigger

FAREWELLS = (
    "bye",
    "goodbye",
    "good bye",
    "that's all",
    "thats all",
    "no thanks",
    "no thank you",
    "alvida",
    "hang up",
    "not interested",
    "dhanyavaad",
    "dhanyavad",
)
DO_NOT_CALL = (
    "do not call",
    "don't call",
    "dont call",
    "stop calling",
    "never call",
    "remove my number",
    "call mat karo",
    "phone mat karo",
)
CALL_LATER = (
    "call me later",
    "call me back",
    "call back",
    "call me tomorrow",
    "call tomorrow",
    "baad mein",
    "baad me",
    "busy right now",
    "call me in the evening",
    "call me at",
)
SWITCHED = {
    "hi": "Theek hai, ab main Hindi mein baat karti hoon.",
    "en": "Sure, I will speak in English now.",
    "ta": "Sari, ippo naan Tamil-il pesugiren.",
    "te": "Sare, ippudu nenu Telugu lo matladutanu.",
    "kn": "Sari, eega naanu Kannadadalli maatanaaduttene.",
    "mr": "Theek aahe, aata mi Marathit bolte.",
    "bn": "Thik ache, ekhon ami Banglay kotha bolbo.",
}
HUMAN = ("human", "person", "agent", "representative", "someone", "transfer", "manager", "real person")
STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "is",
        "are",
        "do",
        "does",
        "you",
        "your",
        "i",
        "me",
        "my",
        "we",
        "to",
        "of",
        "for",
        "in",
        "on",
        "at",
        "it",
        "this",
        "that",
        "and",
        "or",
        "what",
        "how",
        "when",
        "where",
        "can",
        "could",
        "would",
        "will",
        "with",
        "about",
        "have",
        "has",
        "there",
    ]
)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\w']+", text.lower()) if w not in STOPWORDS and len(w) > 2}


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    lowered = f" {text.lower()} "
    return any(re.search(rf"\b{re.escape(p)}\b", lowered) for p in phrases)


class ScriptedPolicy:
    def __init__(
        self, script: ScriptView | None = None, delay: float = 0.0, triggers: tuple[ToolTrigger, ...] = ()
    ) -> None:
        self.script = script or ScriptView()
        self.delay = delay
        self.triggers = triggers

    @classmethod
    def for_call(cls, context: CallContext) -> ScriptedPolicy:
        """The flow's script and its tool triggers."""
        return cls(context.script, triggers=ToolTrigger.parse_all(context.flow_config))

    async def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        offered = frozenset(t["function"]["name"] for t in tools)
        text, tool = self.reply(messages, offered)
        for index, word in enumerate(text.split(" ")):
            if self.delay:
                await asyncio.sleep(self.delay)
            yield TextDelta(word if index == 0 else " " + word)
        if tool is not None and tool.name in offered:
            yield tool

    def reply(self, messages: list[Message], offered: frozenset[str] = frozenset()) -> tuple[str, ToolCall | None]:
        if messages and messages[-1].get("role") == "tool":
            return self._after_tool(messages), None
        said = [m.get("content") or "" for m in messages if m.get("role") == "user"]
        last = said[-1] if said else ""
        asked = requested_language(last)
        if asked is not None:  # the session has switched already (the prompt names the language): confirm
            speaking = (
                re.search(r"caller's language \(([\w-]+)\)", str(messages[0].get("content") or ""))
                if messages and messages[0].get("role") == "system"
                else None
            )
            if speaking is None or base(speaking.group(1)) == base(asked):
                return SWITCHED.get(base(asked), SWITCHED["en"]), None
            return "I am sorry, I can only continue in this language.", None
        if "mark_do_not_call" in offered and _has(last, DO_NOT_CALL):
            return (
                "I am sorry for the trouble. We will not call you again. Goodbye!",
                ToolCall("mark_do_not_call", {"reason": last[:200]}),
            )
        if "schedule_callback" in offered and _has(last, CALL_LATER):
            return (
                "Sure, I will call you back then. Thank you, goodbye!",
                ToolCall("schedule_callback", {"when": last[:200], "note": f"Caller asked: {last}"[:300]}),
            )
        if _has(last, FAREWELLS):
            closing = self.script.closing_line or "Thank you for your time. Goodbye!"
            return closing, ToolCall("end_call", {"reason": "caller_goodbye"})
        if _has(last, HUMAN):
            return (
                "Sure, let me connect you with a colleague.",
                ToolCall("transfer_to_human", {"target": "support", "agent_brief": f"Caller asked: {last}"}),
            )
        for trigger in self.triggers:
            if trigger.tool in offered and trigger.matches(last):
                calls = sum(1 for m in messages if m.get("role") == "tool")
                return trigger.say, ToolCall(trigger.tool, trigger.arguments_for(last), f"call_scripted_{calls}")
        answer = self._faq(last)
        if answer:
            return answer, None
        agent_turns = [m.get("content") or "" for m in messages if m.get("role") == "assistant"]
        for point in self.script.talking_points:
            if not any(point in turn for turn in agent_turns):
                return point, None
        return "I see. Could you tell me a little more?", None

    def _after_tool(self, messages: list[Message]) -> str:
        """The trigger's reply to the tool's answer (the last tool message)."""
        result = messages[-1]
        names = {
            call.get("id"): call.get("function", {}).get("name")
            for m in messages
            if m.get("role") == "assistant"
            for call in m.get("tool_calls") or ()
        }
        tool = names.get(result.get("tool_call_id"))
        content = str(result.get("content") or "")
        if '"error"' in content[:20]:
            return "Sorry, I could not check that just now."
        for trigger in self.triggers:
            if trigger.tool == tool:
                return trigger.answer(content)
        return "I have checked that for you."

    def _faq(self, text: str) -> str | None:
        heard = _words(text)
        best, score = None, 0
        for entry in self.script.faq:
            overlap = len(heard & _words(entry.question))
            if overlap > score:
                best, score = entry.answer, overlap
        return best
