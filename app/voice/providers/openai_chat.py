"""OpenAI's Chat Completions protocol (`POST {base}/chat/completions`), answered whole or streamed as
server-sent events, over the loop's pooled HTTP session.

The official SDK passed every request's messages through its TypedDict transformer and built pydantic models
for every streamed chunk: at 250 concurrent calls that was a fifth of the event loop, and its first request
in a process imported modules for ~1.4 s on the loop. The wire format is small and stable: a JSON body with
`Authorization: Bearer`, then `data: {json}` events ending with `data: [DONE]`, or one JSON answer; errors are
`{"error": {"message": ...}}` with a non-2xx status.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson

from app.voice.providers.base import ProviderError
from app.voice.providers.http_session import shared_session

DEFAULT_BASE_URL = "https://api.openai.com/v1"
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})  # the SDK's retryable set
RETRY_PAUSE_SECONDS = 0.25
_DATA = b"data:"


class ChatCompletions:
    """One endpoint and key. `timeout` bounds connecting and each wait for bytes (a stream may run longer);
    a connection failure or a retryable status before any answer is tried again `max_retries` times."""

    def __init__(
        self, api_key: str, base_url: str | None = None, *, timeout: float = 20.0, max_retries: int = 1
    ) -> None:
        self.url = (base_url or DEFAULT_BASE_URL).rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.timeout = timeout
        self.max_retries = max_retries

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """A whole (non-streamed) completion, as the API's JSON."""
        async with self._post({**body, "stream": False}) as answer:
            raw = await answer.read()
        return _json(raw)

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """The streamed completion's chunks, as the API's JSON, until `[DONE]` or the end of the answer."""
        async with self._post({**body, "stream": True}) as answer:
            data: list[bytes] = []
            async for line in answer.content:
                line = line.rstrip(b"\r\n")
                if line.startswith(_DATA):
                    data.append(line[len(_DATA) :].lstrip(b" "))
                    continue
                if line or not data:
                    continue  # comments, `event:` / `id:` fields, keep-alive blank lines
                event, data = b"\n".join(data), []
                if event == b"[DONE]":
                    return
                chunk = _json(event)
                if "error" in chunk:
                    raise ProviderError(f"LLM stream failed: {_message(chunk)}")
                yield chunk

    @asynccontextmanager
    async def _post(self, body: dict[str, Any]) -> AsyncIterator[aiohttp.ClientResponse]:
        payload = orjson.dumps(body)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=self.timeout)
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                answer = await shared_session().post(self.url, data=payload, headers=self._headers, timeout=timeout)
            except (aiohttp.ClientConnectionError, TimeoutError) as error:
                if last:
                    raise ProviderError(f"LLM request failed: {type(error).__name__}: {error}") from error
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
                continue
            if answer.status < 300:
                try:
                    yield answer
                except (aiohttp.ClientError, TimeoutError) as error:
                    raise ProviderError(f"LLM answer broke off: {type(error).__name__}: {error}") from error
                finally:
                    answer.release()
                return
            text = await answer.text()
            answer.release()
            if answer.status in RETRY_STATUSES and not last:
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
                continue
            raise ProviderError(f"LLM request failed: {answer.status} {_message_of(text)}")


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ProviderError(f"LLM answered something that is not JSON: {raw[:120]!r}") from None
    if not isinstance(value, dict):
        raise ProviderError(f"LLM answered JSON that is not an object: {raw[:120]!r}")
    return value


def _message(body: dict[str, Any]) -> str:
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300]
    return str(error)[:300]


def _message_of(text: str) -> str:
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text[:300]
    return _message(body) if isinstance(body, dict) and "error" in body else text[:300]
