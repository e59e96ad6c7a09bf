"""Tools in the offline scripted policy: a flow's `config.tool_triggers` names the tool to call when a caller
turn matches, so the demo and the tests exercise tools without a model.

    "tool_triggers": [{"tool": "order_status", "keywords": ["order", "delivery"],
                       "arguments": {"order_id": "{digits}"},
                       "say": "Let me check your order.",
                       "reply": "Your order is {status}, arriving {eta}."}]

Argument templates take `{digits}` (the digits the caller said, spoken number words included) and `{text}`
(the whole turn); `reply` takes the top-level keys of a JSON answer (`{result}` for the whole answer).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NUMBER_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


@dataclass(frozen=True)
class ToolTrigger:
    tool: str
    keywords: tuple[str, ...]
    arguments: dict[str, Any] = field(default_factory=dict)
    say: str = "Let me check that for you."
    reply: str = "Here is what I found: {result}"

    @classmethod
    def parse_all(cls, config: Mapping[str, Any]) -> tuple[ToolTrigger, ...]:
        """The well-formed entries of `config.tool_triggers` (others are skipped)."""
        found = []
        for entry in config.get("tool_triggers") or ():
            if not isinstance(entry, Mapping) or not isinstance(entry.get("tool"), str):
                continue
            keywords = tuple(str(k).lower() for k in entry.get("keywords") or () if str(k).strip())
            arguments = entry.get("arguments") if isinstance(entry.get("arguments"), Mapping) else {}
            found.append(
                cls(
                    entry["tool"],
                    keywords,
                    dict(arguments or {}),
                    str(entry.get("say") or cls.say),
                    str(entry.get("reply") or cls.reply),
                )
            )
        return tuple(found)

    def matches(self, text: str) -> bool:
        lowered = f" {text.lower()} "
        return any(re.search(rf"\b{re.escape(keyword)}\b", lowered) for keyword in self.keywords)

    def arguments_for(self, text: str) -> dict[str, Any]:
        digits = spoken_digits(text)
        return {key: _fill(value, {"digits": digits, "text": text}) for key, value in self.arguments.items()}

    def answer(self, content: str) -> str:
        try:
            value = json.loads(content)
        except ValueError:
            value = content
        names: dict[str, Any] = {"result": content}
        if isinstance(value, Mapping):
            names.update({str(k): v for k, v in value.items()})
        return str(_fill(self.reply, names))


def spoken_digits(text: str) -> str:
    """`order 1 2 3`, `order one two three` and `order 123` all give `123`."""
    out = []
    for word in re.findall(r"[\w']+", text.lower()):
        if word.isdigit():
            out.append(word)
        elif word in NUMBER_WORDS:
            out.append(NUMBER_WORDS[word])
    return "".join(out)


def _fill(template: Any, names: Mapping[str, Any]) -> Any:
    if not isinstance(template, str):
        return template
    wanted = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    try:
        return template.format(**{name: names.get(name, "") for name in wanted})
    except (ValueError, IndexError, KeyError):
        return template
