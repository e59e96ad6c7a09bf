"""A workflow service answering in-call tool requests over a real loopback socket: it records each request
(with its arrival time), checks nothing itself, and answers per path: JSON, text, slowly, or with an error."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import serve


@dataclass
class ToolRequest:
    method: str
    path: str
    query: str
    body: bytes
    headers: dict[str, str]
    arrived: float  # time.monotonic() when the handler ran

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeToolServer:
    """Paths: /order (JSON answer), /text (plain text), /slow (answers after `slow_seconds`), /fail (500),
    /big (a 100 kB answer)."""

    order_status: str = "shipped"
    slow_seconds: float = 2.0
    requests: list[ToolRequest] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeToolServer:
        app = web.Application()
        app.router.add_route("*", "/{name}", self._handle)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            ToolRequest(
                request.method,
                request.path,
                request.rel_url.raw_query_string,
                await request.read(),
                dict(request.headers),
                time.monotonic(),
            )
        )
        name = request.match_info["name"]
        if name == "slow":
            await asyncio.sleep(self.slow_seconds)
            return web.json_response({"status": self.order_status, "eta": "tomorrow"})
        if name == "fail":
            return web.json_response({"error": "database down"}, status=500)
        if name == "text":
            return web.Response(text="Your order ships tomorrow.")
        if name == "big":
            return web.json_response({"items": ["x" * 100] * 1000})
        return web.json_response({"status": self.order_status, "eta": "tomorrow"})
