"""The remote providers of the bench's `remote` mode, in their own process over real loopback sockets:
the test suite's fake Sarvam (STT and TTS, REST and streaming) and OpenAI-compatible LLM, unchanged, with
fixed latencies added in front (STT answer, LLM first token, TTS first audio).

    python -m scripts.loadgen.fake_providers --stt-ms 150 --llm-ms 350 --tts-ms 200

Prints one JSON line `{"sarvam": URL, "openai": URL}` once both listen, then serves until stdin closes or
SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aiohttp import web

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.sarvam_server import FakeSarvam

SARVAM_KEY = "sk_bench"
REPLY = ["Sure", ", the spring sale", " runs until Sunday.", " Is there anything", " else I can do?"]


@dataclass
class SlowSarvam(FakeSarvam):
    """`stt_seconds` before every transcript (REST answer or streaming final), `tts_seconds` before a
    sentence's first audio."""

    stt_seconds: float = 0.15
    tts_seconds: float = 0.2

    async def _stt(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.stt_seconds)
        return await super()._stt(request)

    async def _tts(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.tts_seconds)
        return await super()._tts(request)

    async def _final(self, ws: web.WebSocketResponse, transcript: str) -> None:
        await asyncio.sleep(self.stt_seconds)
        await super()._final(ws, transcript)

    async def _speak(self, ws: web.WebSocketResponse, entry: dict[str, Any], config: dict[str, Any], text: str) -> bool:
        await asyncio.sleep(self.tts_seconds)
        return await super()._speak(ws, entry, config, text)

    def forget(self) -> None:
        """The fake records every request for tests; a long bench only needs the answers."""
        for log in (self.tts_requests, self.stt_requests, self.tts_sockets, self.stt_sockets, self.stt_flushes):
            log.clear()


@dataclass
class SlowOpenAI(FakeOpenAI):
    first_token_seconds: float = 0.35

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(self.first_token_seconds)
        return await super()._completions(request)

    def forget(self) -> None:
        self.requests.clear()
        self.headers.clear()


async def serve(stt_ms: float, llm_ms: float, tts_ms: float) -> None:
    sarvam = await SlowSarvam(
        key=SARVAM_KEY,
        transcript="tell me about the spring sale",
        language_code="en-IN",
        stt_seconds=stt_ms / 1000,
        tts_seconds=tts_ms / 1000,
    ).start()
    openai = await SlowOpenAI(
        text_pieces=list(REPLY),
        completion=json.dumps({"summary": "Asked about the sale."}),
        first_token_seconds=llm_ms / 1000,
    ).start()
    print(json.dumps({"sarvam": sarvam.url, "openai": openai.url}), flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.buffer.read1(1024) else None)
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 5)
        except TimeoutError:
            sarvam.forget()
            openai.forget()
    await sarvam.stop()
    await openai.stop()


def main() -> None:
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # the server under test hangs up mid-answer
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stt-ms", type=float, default=150)
    parser.add_argument("--llm-ms", type=float, default=350)
    parser.add_argument("--tts-ms", type=float, default=200)
    args = parser.parse_args()
    asyncio.run(serve(args.stt_ms, args.llm_ms, args.tts_ms))


if __name__ == "__main__":
    main()
