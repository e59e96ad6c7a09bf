"""A local webhook receiver over real sockets, and a server allowed to deliver to it (HTTP, loopback),
running the delivery worker with short timeouts and backoff."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from aiohttp import web

from tests.conftest import free_port, new_client

FAST = dict(
    allow_http_webhooks=True,
    allow_private_webhooks=True,
    webhook_worker=True,
    webhook_timeout_seconds=0.5,
    webhook_backoff_seconds=0.05,
    webhook_poll_seconds=0.05,
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with `respond(path, count_for_path)`: a status code, or awaits first (a hang)."""

    url: str
    received: list[Received] = field(default_factory=list)
    respond: Callable[[str, int], Awaitable[int] | int] = lambda path, n: 200
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    counts: dict[str, int] = field(default_factory=dict)

    def at(self, path: str) -> str:
        return self.url + path

    def on(self, path: str) -> list[Received]:
        return [item for item in self.received if item.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 5.0) -> list[Received]:
        async def enough() -> None:
            while len(self.on(path)) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)
        return self.on(path)


@pytest_asyncio.fixture(scope="session")
async def receiver():
    holder: dict[str, Receiver] = {}

    async def handle(request: web.Request) -> web.Response:
        current = holder["receiver"]
        body = await request.read()
        item = Received(request.path, dict(request.headers), body)
        count = current.counts[request.path] = current.counts.get(request.path, 0) + 1
        status = current.respond(request.path, count)
        if asyncio.iscoroutine(status):
            status = await status
        current.received.append(item)
        current.arrived.set()
        return web.Response(status=status, text="ok")

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    holder["receiver"] = Receiver(f"http://127.0.0.1:{port}")
    yield holder
    await runner.cleanup()


@pytest_asyncio.fixture
async def hook(receiver) -> Receiver:
    """A fresh receiver state per test (the socket is shared)."""
    receiver["receiver"] = Receiver(receiver["receiver"].url)
    return receiver["receiver"]


@pytest_asyncio.fixture(scope="session")
async def hooks_server(start_server):
    return await start_server(**FAST)


@pytest_asyncio.fixture
async def hooks_client(http, hooks_server):
    await hooks_server.platform.rate_limiter.reset()  # each test starts with empty buckets, as on `server`
    return await new_client(http, hooks_server, "Workflow Org")
