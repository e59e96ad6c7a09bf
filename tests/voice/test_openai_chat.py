"""Our Chat Completions client against loopback servers: retries, errors and the SSE framing."""

from __future__ import annotations

import pytest
from aiohttp import web

from app.voice.providers.base import ProviderError
from app.voice.providers.openai_chat import ChatCompletions
from tests.fakes.loopback import serve
from tests.fakes.openai_server import FakeOpenAI

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


async def serving(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    runner, base = await serve(app)
    return runner, base + "/v1"


async def test_a_streamed_answer_yields_each_chunk_until_done():
    fake = await FakeOpenAI(text_pieces=["One", " two"]).start()
    try:
        chunks = [chunk async for chunk in ChatCompletions("sk", fake.url).stream(BODY)]
    finally:
        await fake.stop()
    contents = [c["choices"][0]["delta"].get("content") for c in chunks if c.get("choices")]
    assert [text for text in contents if text] == ["One", " two"]
    assert fake.requests[0]["stream"] is True


async def test_a_server_error_is_tried_once_more_then_answered():
    calls = 0

    async def flaky(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.json_response({"error": {"message": "overloaded"}}, status=503)
        return web.json_response({"choices": [{"message": {"content": "ok"}}]})

    runner, url = await serving(flaky)
    try:
        answer = await ChatCompletions("sk", url).create(BODY)
    finally:
        await runner.cleanup()
    assert calls == 2
    assert answer["choices"][0]["message"]["content"] == "ok"


async def test_a_refusal_is_a_provider_error_naming_the_status_and_the_message():
    fake = await FakeOpenAI(fail_status=401).start()
    try:
        with pytest.raises(ProviderError, match="401 boom"):
            await ChatCompletions("sk", fake.url).create(BODY)
    finally:
        await fake.stop()
    assert len(fake.requests) == 1  # 401 is not retried


async def test_an_error_event_inside_the_stream_is_a_provider_error():
    async def broken(request: web.Request) -> web.StreamResponse:
        answer = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await answer.prepare(request)
        await answer.write(b': keep-alive\n\ndata: {"choices": [{"delta": {"content": "Hi"}}]}\n\n')
        await answer.write(b'data: {"error": {"message": "context too long"}}\n\n')
        return answer

    runner, url = await serving(broken)
    seen = []
    try:
        with pytest.raises(ProviderError, match="context too long"):
            async for chunk in ChatCompletions("sk", url).stream(BODY):
                seen.append(chunk)
    finally:
        await runner.cleanup()
    assert seen == [{"choices": [{"delta": {"content": "Hi"}}]}]


async def test_an_unreachable_endpoint_is_a_provider_error():
    with pytest.raises(ProviderError, match="LLM request failed"):
        await ChatCompletions("sk", "http://127.0.0.1:9/v1", timeout=1).create(BODY)
