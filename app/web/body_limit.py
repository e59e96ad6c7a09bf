"""Middleware: refuse request bodies over the route's size limit before they are read whole.

A declared Content-Length over the limit is refused at once; a chunked body is counted as the app
reads it and refused as soon as it passes the limit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body is larger than {limit} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        default_limit: int,
        overrides: Sequence[tuple[re.Pattern[str], int]] = (),
        multipart_overrides: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.overrides = tuple(overrides)
        self.multipart_overrides = tuple(multipart_overrides)

    def limit_for(self, path: str, content_type: bytes = b"") -> int:
        """Per-route limits; `multipart_overrides` apply only to multipart bodies (GraphQL uploads)."""
        if content_type.startswith(b"multipart/"):
            for pattern, limit in self.multipart_overrides:
                if pattern.match(path):
                    return limit
        for pattern, limit in self.overrides:
            if pattern.match(path):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
        limit = self.limit_for(scope["path"], content_type.lower())
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False
            if too_big:
                await _refuse(send, limit)
                return
            await self.app(scope, receive, send)
            return
        # Chunked: count bytes as the app reads them; past the limit the app sees a disconnect and
        # the client gets 413, so memory never holds more than one chunk of an oversized body.
        received = 0
        exceeded = False
        response_started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                return  # the app's answer to the "disconnect" is replaced by the 413 below
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not response_started:
            await _refuse(send, limit)
