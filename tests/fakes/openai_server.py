"""A loopback OpenAI-compatible chat-completions server: SSE streaming with content and tool-call deltas,
exactly as the real API frames them; it records requests and can be told to fail."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import serve


@dataclass
class FakeOpenAI:
    text_pieces: list[str] = field(default_factory=lambda: ["Hello", " there."])
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # {"name", "arguments": dict}
    fail_status: int | None = None
    completion: str = "{}"  # the message content of a non-streamed answer (structured output)
    completion_delay: float = 0.0  # seconds before a non-streamed answer (a slow structured-output request)
    first_token_delay: float = 0.0  # seconds before the first streamed content (a known time to first token)
    prompt_tokens: int = 57  # the usage the last chunk reports when the request asks for it
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Streamed answers in turn, each {"text": [pieces], "tool_calls": [{"name", "arguments"}]}; when empty,
    # `text_pieces` and `tool_calls` answer every request (a model that calls a tool, then reads its answer).
    turns: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    peers: list[Any] = field(default_factory=list)  # each request's client address: a kept-alive connection repeats
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner, base = await serve(app)
        self.url = base + "/v1"
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body)}\n\n".encode()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        self.peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        if self.fail_status:
            return web.json_response(
                {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}},
                status=self.fail_status,
            )
        if not body.get("stream"):
            if self.completion_delay:
                await asyncio.sleep(self.completion_delay)
            return web.json_response(
                {
                    "id": "chatcmpl-2",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": "fake",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": self.completion},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(self._chunk({"role": "assistant", "content": ""}))
        turn = self.turns.pop(0) if self.turns else {"text": self.text_pieces, "tool_calls": self.tool_calls}
        if self.first_token_delay:
            await asyncio.sleep(self.first_token_delay)
        for piece in turn.get("text", ()):
            await response.write(self._chunk({"content": piece}))
        tool_calls = turn.get("tool_calls", [])
        for index, call in enumerate(tool_calls):
            arguments = json.dumps(call["arguments"])
            half = len(arguments) // 2
            await response.write(
                self._chunk(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": f"call_{index}",
                                "type": "function",
                                "function": {"name": call["name"], "arguments": ""},
                            }
                        ]
                    }
                )
            )
            for part in (arguments[:half], arguments[half:]):
                await response.write(self._chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]}))
        await response.write(self._chunk({}, "tool_calls" if tool_calls else "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            completion = len(turn.get("text", ())) + len(tool_calls)  # one token a piece, as the test sees it
            usage = {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": completion,
                "total_tokens": self.prompt_tokens + completion,
            }
            await response.write(
                b"data: "
                + json.dumps(
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": "fake",
                        "choices": [],
                        "usage": usage,
                    }
                ).encode()
                + b"\n\n"
            )
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
