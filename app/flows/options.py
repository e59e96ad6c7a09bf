"""The flow `config` keys of issue 16, checked when a flow is saved (each error names the key):
`tool_triggers` (the scripted policy's tool calls), `languages` (allowed switches), `voicemail_message`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.errors import Invalid

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
MAX_TRIGGERS = 20
MAX_MESSAGE = 1000


def check_in_call_options(config: Mapping[str, Any]) -> None:
    if "tool_triggers" in config:
        _triggers(config["tool_triggers"])
    if "languages" in config:
        languages = config["languages"]
        if not isinstance(languages, list) or not all(isinstance(c, str) and LANGUAGE.match(c) for c in languages):
            raise Invalid("config.languages must be a list of language codes such as hi-IN")
    if "voicemail_message" in config:
        message = config["voicemail_message"]
        if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE):
            raise Invalid(f"config.voicemail_message must be text of at most {MAX_MESSAGE} characters")


def _triggers(value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_TRIGGERS:
        raise Invalid(f"config.tool_triggers must be a list of at most {MAX_TRIGGERS} triggers")
    for index, trigger in enumerate(value):
        where = f"config.tool_triggers[{index}]"
        if not isinstance(trigger, Mapping) or not isinstance(trigger.get("tool"), str):
            raise Invalid(f"{where}.tool must name a tool")
        keywords = trigger.get("keywords")
        if (
            not isinstance(keywords, list)
            or not keywords
            or not all(isinstance(k, str) and k.strip() for k in keywords)
        ):
            raise Invalid(f"{where}.keywords must be a non-empty list of words")
        if "arguments" in trigger and not isinstance(trigger["arguments"], Mapping):
            raise Invalid(f"{where}.arguments must be an object")
        for key in ("say", "reply"):
            if key in trigger and not isinstance(trigger[key], str):
                raise Invalid(f"{where}.{key} must be text")
