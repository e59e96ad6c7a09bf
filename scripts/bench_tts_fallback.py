"""What a failing remote TTS costs the caller (issue 5 follow-up): time from asking for a sentence to its
first audio chunk, through `FallbackTTS`, against the loopback fakes over real sockets.

    python scripts/bench_tts_fallback.py --sentences 30 --first-byte 2.0

Scenarios (one sentence each time, 8 kHz):
- espeak-ng alone (the floor every fallback pays);
- a healthy Sarvam WebSocket fake, bare and wrapped (the wrapper's own cost);
- the provider down (connection refused), breaker still closed: espeak-ng after the failed connect;
- the provider stalled (voice server answering after 10 s), breaker still closed: espeak-ng after
  `--first-byte` seconds;
- the breaker open (3 failures already on this call): espeak-ng directly.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.voice.providers.base import Voice
from app.voice.providers.espeak_tts import EspeakTTS
from app.voice.providers.fallback import FallbackTTS
from app.voice.providers.nextneural_tts import NextNeuralTTS
from app.voice.providers.sarvam import SarvamTTS
from app.voice.providers.sarvam_ws_tts import SarvamStreamingTTS
from tests.conftest import free_port
from tests.fakes.nextneural_server import FakeNextNeuralServer, FakeSpeaker
from tests.fakes.sarvam_server import FakeSarvam

SENTENCE = "Your order ships tomorrow morning."
VOICE = Voice("en-IN", "spk")


async def first_chunk_ms(tts: Any) -> float:
    started = time.perf_counter()
    async for _ in tts.synthesize(SENTENCE, VOICE, 8000):
        return (time.perf_counter() - started) * 1000
    raise RuntimeError("no audio")


async def measure(make: Callable[[], Awaitable[Any]], sentences: int) -> list[float]:
    samples = []
    for _ in range(sentences):
        tts = await make()
        samples.append(await first_chunk_ms(tts))
        close = getattr(tts, "aclose", None)
        if close is not None:
            await close()
    return samples


async def main(sentences: int, first_byte: float) -> None:
    sarvam = await FakeSarvam().start()
    voices = await FakeNextNeuralServer().start()
    voices.speakers["spk"] = FakeSpeaker("en-US", b"", "audio/wav")
    voices.synthesis_delay = 10.0

    async def lookup(organisation: str, name: str) -> str:
        return "spk"

    dead = f"http://127.0.0.1:{free_port()}"
    healthy_ws = SarvamStreamingTTS(sarvam.key, sarvam.url)
    wrapped_ws = FallbackTTS(SarvamStreamingTTS(sarvam.key, sarvam.url), EspeakTTS(), "sarvam", first_byte)
    tripped = FallbackTTS(SarvamTTS(sarvam.key, dead), EspeakTTS(), "sarvam", first_byte)
    for _ in range(tripped.breaker.limit):
        await first_chunk_ms(tripped)

    async def same(tts: Any) -> Any:
        return tts

    scenarios: list[tuple[str, Callable[[], Awaitable[Any]], int]] = [
        ("espeak-ng alone", lambda: same(EspeakTTS()), sentences),
        ("Sarvam WS fake, bare (socket kept)", lambda: same(healthy_ws), sentences),
        ("Sarvam WS fake, wrapped (socket kept)", lambda: same(wrapped_ws), sentences),
        (
            "provider down, breaker closed",
            lambda: same(FallbackTTS(SarvamTTS(sarvam.key, dead), EspeakTTS(), "sarvam", first_byte)),
            sentences,
        ),
        (
            "provider stalled, breaker closed",
            lambda: same(
                FallbackTTS(
                    NextNeuralTTS(voices.url, "org", EspeakTTS(), lookup=lookup), EspeakTTS(), "nextneural", first_byte
                )
            ),
            max(3, sentences // 10),
        ),
        ("breaker open", lambda: same(tripped), sentences),
    ]
    results = []
    for name, make, count in scenarios:
        samples = sorted(await measure(make, count))
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        results.append((name, count, statistics.median(samples), p99))
    await healthy_ws.aclose()
    await wrapped_ws.aclose()
    await sarvam.stop()
    await voices.stop()
    floor = results[0][2]
    print(f"first audio of a sentence, ms (first-byte timeout {first_byte} s)")
    print("| scenario | sentences | p50 | p99 | p50 / espeak-ng alone |")
    print("|---|---|---|---|---|")
    for name, count, p50, p99 in results:
        print(f"| {name} | {count} | {p50:.1f} | {p99:.1f} | {p50 / floor:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=30)
    parser.add_argument("--first-byte", type=float, default=2.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.sentences, arguments.first_byte))
