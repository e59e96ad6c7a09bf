"""Serves the web console (`app/web/console/`, shipped as package data) at /console.

The console is static: every byte of data comes from the public GraphQL API, so this module only
adds what a browser needs to run it safely — a strict Content-Security-Policy (same origin only, the
API's WebSockets on the same host, recordings and microphone audio as blobs) and `no-cache`, so an
upgraded platform never runs a stale page (StaticFiles' ETags keep revalidation cheap).
"""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONSOLE_DIRECTORY = Path(__file__).resolve().parent / "console"
PREFIX = "/console"


def content_security_policy(host: str) -> str:
    """`'self'` already covers same-origin ws(s) in current browsers; the explicit host keeps older ones working."""
    sockets = f"ws://{host} wss://{host}" if host else ""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {sockets}".strip(),
            "media-src 'self' blob:",
            "worker-src 'self' blob:",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ConsoleHeaders:
    """Adds the console's security and caching headers to every answer of the wrapped app (304s too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _safe_host(Headers(scope=scope).get("host", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = content_security_policy(host)
                headers["Cache-Control"] = "no-cache"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
            await send(message)

        await self.app(scope, receive, with_headers)


def _safe_host(host: str) -> str:
    """The Host header goes into a header value: keep only what a host[:port] can contain."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
    return host if host and len(host) <= 255 and set(host) <= allowed else ""


async def _to_console(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=308)


def console_routes(directory: Path = CONSOLE_DIRECTORY) -> list[BaseRoute]:
    files = StaticFiles(directory=directory, html=True)
    return [
        Route(PREFIX, _to_console, methods=["GET", "HEAD"]),
        Mount(PREFIX, app=ConsoleHeaders(files), name="console"),
    ]
