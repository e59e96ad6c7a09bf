"""Any OpenAI-compatible chat-completions endpoint, streamed, with tool calls (the `openai` package)."""

from __future__ import annotations

import json
import logging
from typing import Any, AsyncIterator

from app.voice.providers.base import LLMEvent, Message, ProviderError, TextDelta, ToolCall

log = logging.getLogger("app.voice.llm")


class OpenAICompatibleLLM:
    def __init__(self, api_key: str, model: str, base_url: str | None = None, timeout: float = 20.0,
                 temperature: float = 0.4) -> None:
        from openai import AsyncOpenAI

        self._client = AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=1)
        self.model = model
        self.temperature = temperature

    async def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        import openai

        calls: dict[int, dict[str, Any]] = {}
        try:
            stream = await self._client.chat.completions.create(
                model=self.model, messages=messages, tools=tools or openai.NOT_GIVEN, stream=True,
                temperature=self.temperature)
            try:
                async for chunk in stream:
                    for choice in chunk.choices:
                        delta = choice.delta
                        if delta.content:
                            yield TextDelta(delta.content)
                        for fragment in delta.tool_calls or ():
                            call = calls.setdefault(fragment.index, {"id": None, "name": "", "arguments": ""})
                            call["id"] = fragment.id or call["id"]
                            if fragment.function is not None:
                                call["name"] += fragment.function.name or ""
                                call["arguments"] += fragment.function.arguments or ""
            finally:
                await stream.close()
        except openai.OpenAIError as error:
            raise ProviderError(f"LLM request failed: {error}") from error
        for index in sorted(calls):
            call = calls[index]
            yield ToolCall(call["name"], _arguments(call["arguments"]), call["id"])


def _arguments(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        log.warning("tool call arguments are not JSON: %r", text[:200])
        return {}
    return value if isinstance(value, dict) else {}
