"""Middleware: the default per-IP budget, hit once per HTTP request or WebSocket handshake."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import RateLimited
from app.ratelimit import RateLimiter


class GlobalRateLimit:
    def __init__(self, app: ASGIApp, limiter: RateLimiter, *, prefix: str, exempt: frozenset[str]) -> None:
        self.app = app
        self.limiter = limiter
        self.prefix = prefix
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] not in ("http", "websocket") or not path.startswith(self.prefix) or path in self.exempt:
            await self.app(scope, receive, send)
            return
        try:
            await self.limiter.hit_global(scope["state"]["client_ip"])
        except RateLimited as error:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": error.detail})
                return
            body = json.dumps({"detail": error.detail}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", str(error.retry_after).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
