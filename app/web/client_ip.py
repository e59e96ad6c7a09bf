"""Middleware: resolve the client's IP once per request into `scope["state"]["client_ip"]`."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.web.forwarded_for import Network, client_address


class ClientAddress:
    def __init__(self, app: ASGIApp, trusted_proxies: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            headers = {}
            if self.trusted_proxies:
                headers = {
                    k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"
                }
            scope.setdefault("state", {})["client_ip"] = client_address(
                peer[0] if peer else None, headers, self.trusted_proxies
            )
        await self.app(scope, receive, send)
