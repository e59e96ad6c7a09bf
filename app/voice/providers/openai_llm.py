"""Any OpenAI-compatible chat-completions endpoint, streamed, with tool calls (our own protocol client,
`openai_chat.ChatCompletions`, over the loop's pooled HTTP session)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from app.voice.providers.base import LLMEvent, LLMUsage, Message, TextDelta, ToolCall
from app.voice.providers.openai_chat import ChatCompletions

log = logging.getLogger("app.voice.llm")

DEFAULT_TIMEOUT_SECONDS = 20.0


class OpenAICompatibleLLM:
    def __init__(
        self,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        temperature: float = 0.4,
    ) -> None:
        self.chat = ChatCompletions(api_key, base_url, timeout=timeout)
        self.model = model
        self.temperature = temperature

    async def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        calls: dict[int, dict[str, Any]] = {}
        usage: LLMUsage | None = None
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "stream_options": {"include_usage": True},
        }
        if tools:  # no `tools` key at all without tools
            body["tools"] = tools
        async for chunk in self.chat.stream(body):
            if counted := chunk.get("usage"):  # the last chunk, with no choices
                usage = LLMUsage(counted.get("prompt_tokens") or 0, counted.get("completion_tokens") or 0)
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") or {}
                if content := delta.get("content"):
                    yield TextDelta(content)
                for fragment in delta.get("tool_calls") or ():
                    call = calls.setdefault(fragment.get("index", 0), {"id": None, "name": "", "arguments": ""})
                    call["id"] = fragment.get("id") or call["id"]
                    function = fragment.get("function") or {}
                    call["name"] += function.get("name") or ""
                    call["arguments"] += function.get("arguments") or ""
        for index in sorted(calls):
            call = calls[index]
            yield ToolCall(call["name"], _arguments(call["arguments"]), call["id"])
        if usage is not None:
            yield usage


def _arguments(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        log.warning("tool call arguments are not JSON: %r", text[:200])
        return {}
    return value if isinstance(value, dict) else {}
