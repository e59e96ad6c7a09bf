"""Sending one signed delivery over HTTP: a one-method interface with the aiohttp implementation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp

from app.webhooks.addresses import GuardedResolver, RefusedAddress, forbidden, literal_ip

REFUSED = "refused: private, loopback or link-local address"


@dataclass(frozen=True)
class SendResult:
    status: int | None
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender(Protocol):
    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult: ...

    async def aclose(self) -> None: ...


class HttpWebhookSender:
    """POSTs with a total timeout; refuses forbidden addresses at connect time unless allowed."""

    def __init__(self, timeout_seconds: float, allow_private: bool) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._allow_private = allow_private
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(resolver=GuardedResolver(self._allow_private), limit=0, limit_per_host=50)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        host = urlsplit(url).hostname or ""
        literal = literal_ip(host)
        if literal is not None and not self._allow_private and forbidden(literal):
            return SendResult(None, REFUSED)
        try:
            async with self._client().post(url, data=body, headers=headers, allow_redirects=False) as answer:
                await answer.read()
                return SendResult(answer.status)
        except TimeoutError:
            return SendResult(None, "timeout")
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.os_error, RefusedAddress) or isinstance(error.__cause__, RefusedAddress):
                return SendResult(None, REFUSED)
            return SendResult(None, f"{type(error).__name__}: {error}"[:500])
        except (aiohttp.ClientError, OSError) as error:
            return SendResult(None, f"{type(error).__name__}: {error}"[:500])

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
