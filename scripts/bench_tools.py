"""In-call tool overhead (issue 16): what the platform adds around one HTTP tool call.

    python scripts/bench_tools.py --calls 200

An in-process micro-benchmark on real sockets: a real `CallSession` (real clock and player) whose model is
the OpenAI-compatible client talking to the fake model server over loopback HTTP, calling `order_status`
on a local workflow service through the real signed, SSRF-guarded invoker. Each turn the model asks for
the tool, the service answers at once, the model's next round speaks the answer. Stamped in the process:

- tool call -> request sent: from the model's tool call leaving the stream parser to the invoker handing
  the request to aiohttp (argument validation, signing, the round's bookkeeping); and -> received, the same
  up to the service's handler (adds aiohttp's send and loopback);
- answer -> next audio frame: from the invoker returning the answer to the first audio frame of the
  reply going to the transport; it includes the second model round over loopback HTTP (shown apart as
  "of which the model's first token", the fake model and the `openai` client; the history is cleared each
  turn so it stays short) and instant TTS; the platform's
  own share is the two "platform_" lines (answer -> next model request; first token -> audio frame).
  Invocations are logged in memory here: the production log also writes one `tool_invocations` row (one
  INSERT) before the answer goes back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from app.calls.contract import CallType
from app.tools.definitions import ToolDefinition, ToolMethod
from app.tools.invoker import CallIds, HttpToolTransport, ToolAnswer
from app.tools.records import InvocationRecord
from app.voice.audio import tone
from app.voice.clock import MonotonicClock
from app.voice.context import CallContext, ScriptView
from app.voice.providers.base import LLMEvent, Message, Providers, ToolCall, Transcript, Voice
from app.voice.providers.http_session import close_shared_session
from app.voice.providers.openai_llm import OpenAICompatibleLLM
from app.voice.session import CallSession
from app.voice.session_config import SessionConfig
from app.voice.session_inbox import CallerTurn
from app.webhooks.signing import new_secret
from tests.fakes.loopback import serve
from tests.fakes.openai_server import FakeOpenAI
from tests.voice.fakes import FakeOutput, RecordingReporter

RATE = 8000
SCHEMA = {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}


class Stamps:
    def __init__(self) -> None:
        self.call: list[float] = []  # the model's tool call parsed
        self.sent: list[float] = []  # handed to aiohttp
        self.received: list[float] = []  # at the workflow service
        self.answered: list[float] = []  # the invoker has the answer
        self.asked: list[float] = []  # the next model round asked for
        self.first_token: list[float] = []  # the next model round's first token
        self.audio: list[float] = []  # the next audio frame to the transport
        self.waiting_audio = False
        self.waiting_token = False


class TimedLLM:
    def __init__(self, inner: OpenAICompatibleLLM, stamps: Stamps) -> None:
        self.inner, self.stamps = inner, stamps

    async def stream(self, messages: list[Message], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        if self.stamps.waiting_token:
            self.stamps.asked.append(time.perf_counter())
        async for event in self.inner.stream(messages, tools):
            if isinstance(event, ToolCall):
                self.stamps.call.append(time.perf_counter())
            elif self.stamps.waiting_token:
                self.stamps.first_token.append(time.perf_counter())
                self.stamps.waiting_token = False
            yield event


class TimedTransport(HttpToolTransport):
    def __init__(self, stamps: Stamps) -> None:
        super().__init__(allow_private=True)
        self.stamps = stamps

    async def invoke(self, tool: ToolDefinition, arguments: dict[str, Any], facts: CallIds, secret: str) -> ToolAnswer:
        self.stamps.sent.append(time.perf_counter())
        answer = await super().invoke(tool, arguments, facts, secret)
        self.stamps.answered.append(time.perf_counter())
        self.stamps.waiting_audio = self.stamps.waiting_token = True
        return answer


class MemoryLog:
    def __init__(self) -> None:
        self.records: list[InvocationRecord] = []

    async def record(self, call_id: str, invocation: InvocationRecord) -> None:
        self.records.append(invocation)


class TimedOutput(FakeOutput):
    def __init__(self, stamps: Stamps) -> None:
        super().__init__(MonotonicClock())
        self.stamps = stamps

    async def send_audio(self, frame: bytes) -> None:
        if self.stamps.waiting_audio:
            self.stamps.audio.append(time.perf_counter())
            self.stamps.waiting_audio = False
        self.log.clear()


class InstantSTT:
    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        return Transcript("where is my order 42", "en-IN")


class InstantTTS:
    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncIterator[bytes]:
        yield tone(rate, 20, 500, 3000)


async def workflow_service(stamps: Stamps) -> tuple[web.AppRunner, str]:
    async def order(request: web.Request) -> web.Response:
        stamps.received.append(time.perf_counter())
        await request.read()
        return web.json_response({"status": "shipped"})

    app = web.Application()
    app.router.add_post("/order", order)
    return await serve(app)


async def run(calls: int) -> Stamps:
    stamps = Stamps()
    runner, base = await workflow_service(stamps)
    model = await FakeOpenAI().start()
    transport = TimedTransport(stamps)
    tool = ToolDefinition("order_status", "Order status.", SCHEMA, ToolMethod.POST, base + "/order", {}, 5.0)
    context = CallContext(
        "org_bench", CallType.TEST, script=ScriptView(opening_line="Hi."), tools=(tool,), tools_secret=new_secret()
    )
    output = TimedOutput(stamps)
    llm = TimedLLM(OpenAICompatibleLLM("sk-bench", "fake", model.url), stamps)
    session = CallSession(
        context,
        Providers(InstantSTT(), InstantTTS(), llm),
        RecordingReporter(),
        output,
        SessionConfig(
            rate=RATE,
            silence_timeout=1e9,
            max_duration=1e9,
            detect_voicemail=False,
            tool_transport=transport,
            tool_log=MemoryLog(),
        ),
    )
    output.session = session
    await session.start()
    await asyncio.sleep(0.3)  # the greeting
    for index in range(calls):
        model.turns[:] = [
            {"tool_calls": [{"name": "order_status", "arguments": {"order_id": str(index)}}]},
            {"text": ["It has shipped."]},
        ]
        done = len(stamps.audio)
        session.conversation.history.clear()  # each turn a short conversation: the model's time stays flat
        session.inbox.put_nowait(CallerTurn(b"\0\0" * 160, session.elapsed))
        while len(stamps.audio) == done:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.1)  # let the reply play out
    session.hangup()
    await session.wait()
    await transport.aclose()
    await model.stop()
    await runner.cleanup()
    await close_shared_session()  # the LLM client's pooled connections
    return stamps


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p99": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "max": round(ordered[-1], 2),
    }


def gaps(later: list[float], earlier: list[float]) -> list[float]:
    return [(b - a) * 1000 for a, b in zip(earlier, later, strict=False)]  # a run cut short may lack the last


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="tool calls, one per caller turn")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    stamps = await run(args.calls)
    figures = {
        "tool_call_to_request_sent_ms": percentiles(gaps(stamps.sent, stamps.call)),
        "tool_call_to_request_received_ms": percentiles(gaps(stamps.received, stamps.call)),
        "answer_to_next_audio_frame_ms": percentiles(gaps(stamps.audio, stamps.answered)),
        "of_which_model_first_token_ms": percentiles(gaps(stamps.first_token, stamps.asked)),
        "platform_answer_to_next_model_request_ms": percentiles(gaps(stamps.asked, stamps.answered)),
        "platform_first_token_to_audio_frame_ms": percentiles(gaps(stamps.audio, stamps.first_token)),
    }
    if args.json:
        print(json.dumps(figures))
        return
    for name, values in figures.items():
        print(
            f"{name:42s} n={values['n']} p50={values['p50']:.2f} ms p99={values['p99']:.2f} ms "
            f"max={values['max']:.2f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
