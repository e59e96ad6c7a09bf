"""Voice pipeline benchmarks (issue 5): turn latency overhead and barge-in latency.

    python scripts/bench_pipeline.py --turns 200 --barge-ins 50

Both run the real CallSession (real webrtcvad, endpointing, sentence splitting, pacing logic) with
zero-latency fake STT/LLM/TTS and a hand-driven clock, so what is measured is the pipeline's own cost:

- turn latency overhead: wall time from the moment the endpointing window closes the caller's turn to the
  first outbound audio frame of the reply (target p50 <= 5 ms, p99 <= 25 ms);
- barge-in: from the caller's first voiced frame to `clear`, in audio time (the frames the detector needed)
  plus the wall time spent processing them (target p99 <= 100 ms).

Both observe the session only through its public event hook (`CallSession.observe`, `app/voice/session_events`):
`CallerTurnEnded` starts the turn clock, `BargeIn` stops the barge-in clock.

    python scripts/bench_pipeline.py --concurrency 50,100,200 --seconds 12

- concurrency: N simulated Exotel calls over real WebSockets against ONE server process (a subprocess running
  `voice_routes` with real VAD and instant fake providers). Each call is greeted, speaks, is answered; the
  client measures the arrival interval of outbound media chunks against the audio they carry (pacing
  jitter) and the gaps in their playout (stalls >= 100 ms) over each whole reply, marks included (the
  measure of scripts/loadgen/measures.py), counts the audio received (lost frames), and reads the server's
  CPU time. These are in-process figures with instant providers; capacity is `scripts/bench_calls.py`.

Both run with the per-call latency and usage metering of issue 17 off and on, interleaved in the same run
(`--metering both`, the default; `--rounds N` repeats the off/on pair), so its cost reads side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.calls.contract import CallType
from app.metrics import Metrics
from app.voice.audio import silence, tone
from app.voice.context import CallContext, ScriptView
from app.voice.providers.base import Providers, TextDelta, Transcript, Voice
from app.voice.providers.espeak_tts import synthesize_blocking
from app.voice.session import CallSession
from app.voice.session_config import SessionConfig
from app.voice.session_events import BargeIn, CallerTurnEnded, SessionEvent
from app.voice.vad import VoiceActivityDetector
from scripts.loadgen.measures import STALL_MS, reply_pacing, stalls
from tests.voice.fakes import FakeClock, FakeOutput, RecordingReporter

RATE = 16000


class InstantSTT:
    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        return Transcript("tell me about the sale", "en-IN")


class InstantLLM:
    def __init__(self, words: int) -> None:
        self.words = words

    async def stream(self, messages, tools) -> AsyncIterator[Any]:
        for index in range(self.words):
            yield TextDelta(("Sure" if index == 0 else " word") + ("." if index == self.words - 1 else ""))


class InstantTTS:
    def __init__(self, ms_per_word: int) -> None:
        self.ms = ms_per_word

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncIterator[bytes]:
        yield tone(rate, self.ms * len(text.split()), 500, 3000)


class TimedOutput(FakeOutput):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.first_audio_after: list[float] = []
        self.waiting = False

    async def send_audio(self, frame: bytes) -> None:
        if self.waiting:
            self.first_audio_after.append(time.perf_counter())
            self.waiting = False
        self.log.clear()  # keep memory flat over many turns


async def drive(session: CallSession, clock: FakeClock, frames: list[bytes]) -> None:
    for frame in frames:
        await session.feed(frame)
        await clock.advance(0.02)


def frames_of(pcm: bytes) -> list[bytes]:
    size = RATE // 50 * 2
    pcm += bytes(-len(pcm) % size)
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


def metered(config: SessionConfig, metering: bool) -> SessionConfig:
    """Per-call latency and usage metering on (with its Prometheus histograms) or off (issue 17)."""
    return replace(config, metering=metering, on_turn_latency=Metrics().observe_turn if metering else None)


def make_session(
    llm_words: int, ms_per_word: int, opening_line: str = "Hi.", metering: bool = True
) -> tuple[CallSession, FakeClock, TimedOutput]:
    clock = FakeClock()
    output = TimedOutput(clock)
    context = CallContext("org_bench", CallType.TEST, script=ScriptView(opening_line=opening_line))
    config = metered(SessionConfig(rate=RATE, silence_timeout=1e9, max_duration=1e9), metering)
    session = CallSession(
        context,
        Providers(InstantSTT(), InstantTTS(ms_per_word), InstantLLM(llm_words)),
        RecordingReporter(),
        output,
        config,
        clock,
    )
    output.session = session
    return session, clock, output


async def turn_latency(turns: int, metering: bool = True) -> list[float]:
    session, clock, output = make_session(llm_words=3, ms_per_word=20, metering=metering)
    speech = frames_of(synthesize_blocking("yes please", "en", RATE))
    quiet = frames_of(silence(RATE, 900))
    ended_at: list[float] = []

    def mark_turn_end(event: SessionEvent) -> None:
        if isinstance(event, CallerTurnEnded):
            ended_at.append(time.perf_counter())
            output.waiting = True

    session.observe(mark_turn_end)
    await session.start()
    await drive(session, clock, quiet)
    for _ in range(turns):
        await drive(session, clock, speech + quiet)
    session.hangup()
    await session.wait()
    pairs = list(zip(ended_at, output.first_audio_after, strict=False))  # a turn may end with no audio
    return [(audio - end) * 1000 for end, audio in pairs]


def meter_cost(turns: int) -> list[float]:
    """The call meter alone (issue 17), in-process micro-benchmark: one reply's session events through it, its
    latency taken for the transcript and observed by the Prometheus histograms; microseconds per reply."""
    from app.voice.call_meter import CallMeter
    from app.voice.session_events import (
        LlmFirstToken,
        LlmReplyFinished,
        ReplyStarted,
        SentenceReady,
        TranscriptFinal,
        TtsFirstAudio,
        TtsRequested,
        UtteranceSettled,
    )
    from app.voice.utterance import UtteranceState

    metrics = Metrics()
    meter = CallMeter(
        Providers(InstantSTT(), InstantTTS(20), InstantLLM(3)), Voice(), endpoint_ms=300, sink=metrics.observe_turn
    )
    costs = []
    for turn in range(turns):
        at, mark = turn * 10.0, f"utt-{turn}"
        events = (
            CallerTurnEnded(at, at - 1),
            TranscriptFinal(at + 0.1, "yes please", "en-IN", 1.2),
            ReplyStarted(at + 0.11, mark),
            LlmFirstToken(at + 0.4, mark),
            SentenceReady(at + 0.45, mark, "Sure."),
            TtsRequested(at + 0.45, mark, 5),
            TtsFirstAudio(at + 0.6, mark),
            LlmReplyFinished(at + 0.5, mark, 900, 20),
            UtteranceSettled(at + 2, mark, "reply", UtteranceState.PLAYED, "Sure.", at + 0.61, 50, 50),
        )
        started = time.perf_counter()
        for event in events:
            meter(event)
        meter.take(mark)
        costs.append((time.perf_counter() - started) * 1e6)
    return costs


async def barge_in(trials: int) -> tuple[list[float], list[float]]:
    audio_ms, wall_ms = [], []
    speech = frames_of(synthesize_blocking("actually, wait a moment", "en", RATE))
    for _ in range(trials):
        session, clock, _output = make_session(
            llm_words=1,
            ms_per_word=200,
            opening_line="This is a long opening line that keeps the agent talking for a good few seconds.",
        )
        cleared: list[float] = []

        def mark_clear(event: SessionEvent) -> None:
            if isinstance(event, BargeIn):
                cleared.append(time.perf_counter())

        session.observe(mark_clear)
        await session.start()
        await drive(session, clock, frames_of(silence(RATE, 300)))
        vad = VoiceActivityDetector(RATE)
        onset_frame, onset_wall = None, None
        for index, frame in enumerate(speech):
            if onset_frame is None and vad.is_speech(frame):
                onset_frame, onset_wall = index, time.perf_counter()
            await session.feed(frame)
            if cleared:
                audio_ms.append((index - onset_frame + 1) * 20)
                wall_ms.append((cleared[0] - onset_wall) * 1000)
                break
            await clock.advance(0.02)
        session.hangup()
        await session.wait()
    return audio_ms, wall_ms


# --- concurrency: many Exotel calls against one server process -----------------------------------------


class NullReporter(RecordingReporter):
    async def transcript(self, call_id, speaker, text, timestamp, latency=None) -> None:
        return None


class StubResolver:
    """Every number is a line of the same flow: no database in the benchmark server."""

    async def inbound(self, to_number, from_number, account_sid=None, provider_call_id=None):
        return CallContext(
            "org_bench",
            CallType.INBOUND,
            flow_id="flw_bench",
            script=ScriptView(opening_line="Hello, thanks for calling. How can I help you today?"),
        )


async def serve(port: int, metering: bool = True) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from app.voice.providers.scripted_llm import ScriptedPolicy
    from app.voice.routes import voice_routes
    from app.voice.runtime import VoiceRuntime

    def providers(context: CallContext) -> Providers:
        return Providers(InstantSTT(), InstantTTS(100), ScriptedPolicy(context.script))

    runtime = VoiceRuntime(
        NullReporter,
        providers=providers,
        resolver=StubResolver(),  # type: ignore[arg-type]
        session=metered(SessionConfig(silence_timeout=1e9), metering),
    )
    app = Starlette(routes=[Mount("/api/voice", routes=voice_routes(None, NullReporter, runtime))])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off", ws_max_queue=64)
    await uvicorn.Server(config).serve()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _one_call(http, url: str, seconds: float, speech: bytes) -> dict[str, Any]:
    import base64
    import json

    arrivals: list[tuple[float, float, int]] = []  # (time, seconds of audio in the chunk, a mark followed)
    marks = 0
    async with http.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"event": "connected"}))
        await ws.send_str(
            json.dumps(
                {
                    "event": "start",
                    "stream_sid": "S",
                    "start": {
                        "stream_sid": "S",
                        "call_sid": "C",
                        "account_sid": "A",
                        "from": "+919800000000",
                        "to": "+918000000000",
                        "media_format": {"encoding": "audio/x-raw", "sample_rate": "8000", "bit_rate": "16"},
                    },
                }
            )
        )

        async def read() -> None:
            nonlocal marks
            async for message in ws:
                frame = json.loads(message.data)
                if frame["event"] == "media":
                    arrivals.append((time.perf_counter(), len(base64.b64decode(frame["media"]["payload"])) / 16000, 0))
                elif frame["event"] == "mark":
                    marks += 1
                    if arrivals:
                        arrivals[-1] = (*arrivals[-1][:2], 1)
                    await ws.send_str(json.dumps({"event": "mark", "stream_sid": "S", "mark": frame["mark"]}))

        reader = asyncio.create_task(read())
        caller = silence(8000, 4000) + speech + silence(8000, int(seconds * 1000))
        speech_ends = 4.0 + len(speech) / 16000
        started = time.perf_counter()
        for index in range(int(seconds * 10)):
            chunk = caller[index * 1600 : (index + 1) * 1600]
            await ws.send_str(
                json.dumps(
                    {
                        "event": "media",
                        "stream_sid": "S",
                        "media": {
                            "chunk": index,
                            "timestamp": index * 100,
                            "payload": base64.b64encode(chunk).decode(),
                        },
                    }
                )
            )
            await asyncio.sleep(max(0.0, started + (index + 1) * 0.1 - time.perf_counter()))
        await ws.send_str(json.dumps({"event": "stop", "stop": {"reason": "callended"}}))
        await asyncio.wait_for(reader, 10)
    # One reply per caller turn (the greeting, then the answer), split where the caller's speech ends: every
    # pair of chunks inside a reply counts, across its sentences' marks too (a pause there is heard).
    boundary = started + speech_ends
    jitter, gaps = [], []
    for reply in ([a for a in arrivals if a[0] < boundary], [a for a in arrivals if a[0] >= boundary]):
        j, g = reply_pacing(reply)
        jitter += j
        gaps += g
    return {
        "jitter": jitter,
        "stalls": stalls(gaps),
        "bytes": round(sum(a for _, a, _ in arrivals) * 16000),
        "utterances": marks,
        "answered": any(a[0] >= boundary for a in arrivals),
    }


async def concurrency(count: int, seconds: float, metering: bool = True) -> str:
    import socket
    import subprocess

    import aiohttp

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--metering", "on" if metering else "off"]
    )
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            speech = synthesize_blocking("tell me about the spring sale please", "en", 8000)
            cpu0, wall0 = _cpu_seconds(server.pid), time.perf_counter()
            results = await asyncio.gather(
                *(_one_call(http, f"ws://127.0.0.1:{port}/api/voice/ws/exotel", seconds, speech) for _ in range(count)),
                return_exceptions=True,
            )
            cpu, wall = _cpu_seconds(server.pid) - cpu0, time.perf_counter() - wall0
    finally:
        server.terminate()
        server.wait()
    calls = [r for r in results if isinstance(r, dict)]
    failed = len(results) - len(calls)
    if failed:
        print("first failure:", next(repr(r) for r in results if not isinstance(r, dict)), file=sys.stderr)
    jitter = [j for r in calls for j in r["jitter"]]
    stall_list = [s for r in calls for s in r["stalls"]]
    answered = sum(1 for r in calls if r["answered"])
    sizes = sorted({r["bytes"] for r in calls if r["answered"]})
    mode = "on " if metering else "off"
    return (
        f"N={count} metering {mode}: failed={failed} answered={answered}/{count} "
        f"pacing jitter {percentiles(jitter)}; "
        f"stalls >= {STALL_MS:.0f} ms: {len(stall_list)} (max {max(stall_list, default=0):.0f} ms); "
        f"server CPU {cpu / wall * 100:.0f}% of one core = {cpu / count / wall * 1000:.1f} ms CPU per call-second; "
        f"audio bytes per answered call {sizes[:1]}..{sizes[-1:]} (equal = no lost frames)"
    )


def percentiles(values: list[float]) -> str:
    if not values:
        return "n=0"
    ordered = sorted(values)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return f"n={len(values)} p50={statistics.median(ordered):.2f} ms p99={p(0.99):.2f} ms max={ordered[-1]:.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--barge-ins", type=int, default=50)
    parser.add_argument("--concurrency", help="comma-separated call counts, e.g. 50,100,200")
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument(
        "--metering",
        choices=("both", "on", "off"),
        default="both",
        help="per-call latency and usage metering (issue 17); both: off and on, interleaved",
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --metering both: off/on pairs per figure")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        await serve(args.serve, args.metering != "off")
        return
    modes = {"both": (False, True), "on": (True,), "off": (False,)}[args.metering]
    rounds = args.rounds if args.metering == "both" else 1
    if args.concurrency:
        for count in (int(n) for n in args.concurrency.split(",")):
            for _ in range(rounds):
                for metering in modes:
                    print(await concurrency(count, args.seconds, metering))
        return
    for _ in range(rounds):
        for metering in modes:
            latencies = await turn_latency(args.turns, metering)
            print(
                f"turn latency overhead (end of endpointing window -> first reply frame), metering "
                f"{'on ' if metering else 'off'}: {percentiles(latencies)}"
            )
    costs = meter_cost(max(args.turns, 1000))
    micro = percentiles(costs).replace(" ms", " µs")
    print(f"call meter per reply (in-process micro-benchmark, µs): {micro}")
    audio_ms, wall_ms = await barge_in(args.barge_ins)
    print(f"barge-in, audio needed (first voiced frame -> clear): {percentiles(audio_ms)}")
    print(f"barge-in, processing wall time on top:                {percentiles(wall_ms)}")


if __name__ == "__main__":
    asyncio.run(main())
