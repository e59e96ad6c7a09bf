"""Any OpenAI-compatible chat-completions endpoint, streamed, with tool calls (the `openai` package)."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

from app.voice.providers.base import LLMEvent, LLMUsage, Message, ProviderError, TextDelta, ToolCall

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.chat import ChatCompletionMessageParam

log = logging.getLogger("app.voice.llm")
_ClientKey = tuple[str, str | None, float]
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_ClientKey, AsyncOpenAI]] = (
    weakref.WeakKeyDictionary()
)


def shared_client(api_key: str, base_url: str | None, timeout: float) -> AsyncOpenAI:
    """One client (one connection pool, one TLS context) per endpoint per event loop, shared by every call.

    Building an `AsyncOpenAI` loads the CA bundle on the loop: once per call, 200 calls ramping up spent ~4 % of
    the loop on it, and each call opened its own connections to the same endpoint.
    """
    from openai import AsyncOpenAI

    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    key = (api_key, base_url, timeout)
    client = per_loop.get(key)
    if client is None:
        client = per_loop[key] = AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=1)
    return client


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
        self._endpoint = (api_key, base_url, timeout)
        self.model = model
        self.temperature = temperature

    def client(self) -> AsyncOpenAI:
        """Taken on first use, inside the call's event loop."""
        return shared_client(*self._endpoint)

    async def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        import openai

        calls: dict[int, dict[str, Any]] = {}
        usage: LLMUsage | None = None
        tool_options: dict[str, Any] = {"tools": tools} if tools else {}  # no `tools` key at all without tools
        try:
            stream = await self.client().chat.completions.create(
                model=self.model,
                # our messages and tool specs are the JSON shapes the SDK's TypedDicts describe
                messages=cast("list[ChatCompletionMessageParam]", messages),
                **tool_options,
                stream=True,
                temperature=self.temperature,
                stream_options={"include_usage": True},
            )
            try:
                async for chunk in stream:
                    if chunk.usage is not None:  # the last chunk, with no choices
                        usage = LLMUsage(chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
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
        if usage is not None:
            yield usage


def _arguments(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        log.warning("tool call arguments are not JSON: %r", text[:200])
        return {}
    return value if isinstance(value, dict) else {}
