"""One tool request over HTTP: signed like a webhook, through the same SSRF-safe resolver, with the tool's
own timeout. A one-method interface (`ToolTransport`) with the aiohttp implementation.

The request carries `{"tool", "call_id", "flow_id", "customer_id", "arguments"}` as a JSON body (GET and
DELETE: the same fields as query parameters, `arguments` as JSON text). The signature (`X-NN-Signature` and
the Standard Webhooks headers, with the organisation's tools secret) is over the body, or for GET and DELETE
over the exact query string.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import aiohttp
from yarl import URL

from app.tools.definitions import ToolDefinition, ToolMethod
from app.webhooks.addresses import GuardedResolver, RefusedAddress, forbidden, literal_ip
from app.webhooks.signing import signed_headers

MAX_ANSWER_BYTES = 16 * 1024  # what the model is given of an answer
USER_AGENT = "voiceai-tools/1"


@dataclass(frozen=True)
class CallIds:
    """Who is asking: the call the tool is invoked from."""

    call_id: str | None
    flow_id: str | None
    customer_id: str | None


@dataclass(frozen=True)
class ToolAnswer:
    """What came back. `status` is None when no HTTP answer arrived (`error` says why)."""

    status: int | None
    body: str = ""
    error: str | None = None
    timed_out: bool = False
    refused: bool = False

    @property
    def success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class ToolTransport(Protocol):
    async def invoke(
        self, tool: ToolDefinition, arguments: dict[str, Any], facts: CallIds, secret: str
    ) -> ToolAnswer: ...

    async def aclose(self) -> None: ...


def request_parts(
    tool: ToolDefinition, arguments: dict[str, Any], facts: CallIds, secret: str
) -> tuple[str, bytes | None, dict[str, str]]:
    """(url, body, headers) of the request, signed; pure so receivers' checks can be tested against it."""
    message_id = "tcl_" + secrets.token_hex(8)
    timestamp = int(time.time())
    payload: dict[str, Any] = {
        "tool": tool.name,
        "call_id": facts.call_id,
        "flow_id": facts.flow_id,
        "customer_id": facts.customer_id,
        "arguments": arguments,
    }
    headers = {**tool.headers, "User-Agent": USER_AGENT}
    if tool.method in (ToolMethod.GET, ToolMethod.DELETE):
        query = urlencode(
            {
                key: value if key != "arguments" else json.dumps(value, separators=(",", ":"))
                for key, value in payload.items()
                if value is not None
            }
        )
        url = tool.url + ("&" if urlsplit(tool.url).query else "?") + query
        return url, None, {**headers, **signed_headers(secret, message_id, timestamp, query.encode())}
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return (
        tool.url,
        body,
        {**headers, "Content-Type": "application/json", **signed_headers(secret, message_id, timestamp, body)},
    )


class HttpToolTransport:
    """aiohttp with the guarded resolver; forbidden addresses are refused at connect time unless allowed."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(self._allow_private), limit=0, limit_per_host=100)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def invoke(self, tool: ToolDefinition, arguments: dict[str, Any], facts: CallIds, secret: str) -> ToolAnswer:
        url, body, headers = request_parts(tool, arguments, facts, secret)
        literal = literal_ip(urlsplit(url).hostname or "")
        if literal is not None and not self._allow_private and forbidden(literal):
            return ToolAnswer(None, error="refused: private, loopback or link-local address", refused=True)
        timeout = aiohttp.ClientTimeout(total=tool.timeout_seconds)
        try:
            async with self._client().request(
                tool.method.value,
                URL(url, encoded=True),
                data=body,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            ) as answer:
                raw = bytearray()
                async for chunk in answer.content.iter_chunked(16 * 1024):  # read() may return early: loop to EOF
                    raw += chunk
                    if len(raw) > MAX_ANSWER_BYTES:
                        break
                truncated = len(raw) > MAX_ANSWER_BYTES
                return ToolAnswer(answer.status, _text(bytes(raw[:MAX_ANSWER_BYTES]), truncated=truncated))
        except TimeoutError:
            return ToolAnswer(None, error=f"timeout after {tool.timeout_seconds:g} s", timed_out=True)
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.os_error, RefusedAddress) or isinstance(error.__cause__, RefusedAddress):
                return ToolAnswer(None, error="refused: private, loopback or link-local address", refused=True)
            return ToolAnswer(None, error=f"{type(error).__name__}: {error}"[:300])
        except (aiohttp.ClientError, OSError) as error:
            return ToolAnswer(None, error=f"{type(error).__name__}: {error}"[:300])

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def _text(raw: bytes, truncated: bool) -> str:
    """JSON answers are passed on compact; anything else as text."""
    text = raw.decode("utf-8", errors="replace")
    if not truncated:
        try:
            return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
        except ValueError:
            pass
    return text + (" …(truncated)" if truncated else "")
