"""In-process micro-benchmark (issue 13): N real `AudioPlayer`s on uvloop, each playing a long utterance into
an Exotel-like output (a chunk leaves every 10 frames), paced by a timer each (`own`, what the player did
before) or by the shared `PacingTick`. Reports the loop's CPU per second and the jitter of each call's chunk
intervals, optionally with part of the loop kept busy by short callbacks (the inbound media of other calls).

    python scripts/bench_pacing.py --players 200 --busy 0.3 --rounds 3

Not a capacity figure: no sockets, no sessions; it isolates what the pacing timers cost and how evenly they
keep each call's chunks.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import sys
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.calls.contract import Speaker
from app.voice.audio import frame_bytes
from app.voice.clock import Clock, MonotonicClock
from app.voice.pacing import PacingTick
from app.voice.player import AudioPlayer
from app.voice.utterance import Utterance, UtteranceState

CHUNK_FRAMES = 10  # 200 ms chunks of 8 kHz PCM, as the Exotel transport sends
LEAD = 0.24  # one chunk + the transport's 40 ms margin


class ChunkOutput:
    """Counts frames; a chunk 'leaves' with every 10th, and its time is kept."""

    def __init__(self) -> None:
        self.frames = 0
        self.chunks: list[float] = []

    async def send_audio(self, frame: bytes) -> None:
        self.frames += 1
        if self.frames % CHUNK_FRAMES == 0:
            self.chunks.append(time.perf_counter())

    async def send_mark(self, name: str) -> None:
        return None

    async def clear(self) -> None:
        return None

    async def send_transcript(self, speaker: Speaker, text: str, timestamp: float) -> None:
        return None


class OwnTimer:
    """A timer per player: the player's pacing before the shared tick."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def until(self, deadline: float) -> None:
        await self.clock.sleep(deadline - self.clock.now())


async def settle(utterance: Utterance, state: UtteranceState) -> None:
    utterance.state = state


async def one_run(players: int, mode: str, busy: float, seconds: float) -> tuple[float, list[float]]:
    loop = asyncio.get_running_loop()
    clock = MonotonicClock()
    tick = PacingTick(clock)
    outputs, tasks = [], []
    for _ in range(players):
        output = ChunkOutput()
        pacer = tick if mode == "shared" else OwnTimer(clock)
        player = AudioPlayer(output, clock, settle, 1.0, lead=LEAD, tick=pacer)  # type: ignore[arg-type]
        utterance = Utterance(8000)
        utterance.add_audio(bytes(frame_bytes(8000) * int((seconds + 5) * 50)))
        utterance.end_sentence("words")
        utterance.finish()
        player.enqueue(utterance)
        tasks.append(loop.create_task(player.run()))
        outputs.append(output)
        await asyncio.sleep(random.random() * 0.02)  # calls start out of phase
    stop = time.perf_counter() + seconds

    def spin() -> None:  # 20 µs of other work, like one inbound media frame
        until = time.perf_counter() + 20e-6
        while time.perf_counter() < until:
            pass

    cpu = time.process_time()
    while time.perf_counter() < stop:
        for _ in range(int(busy / 20e-6 / 1000)):
            loop.call_soon(spin)
        await asyncio.sleep(0.001)
    cpu = time.process_time() - cpu
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    jitter = []
    for output in outputs:
        steady = output.chunks[3:]  # past each call's lead
        jitter += [abs((b - a) - CHUNK_FRAMES * 0.02) * 1000 for a, b in itertools.pairwise(steady)]
    return cpu / seconds * 1000, jitter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--busy", type=float, default=0.0, help="share of the loop kept busy by other callbacks")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.players} players, {args.busy:.0%} of the loop busy with other work, {args.seconds:.0f} s a run")
    print("| pacing | loop CPU ms/s | chunk jitter p50 / p99 / max ms |\n|---|---|---|")
    for _ in range(args.rounds):
        for mode in ("own", "shared"):
            cpu, jitter = uvloop.run(one_run(args.players, mode, args.busy, args.seconds))
            jitter.sort()
            p99 = jitter[min(len(jitter) - 1, int(len(jitter) * 0.99))]
            print(
                f"| {mode} | {cpu:.0f} | {statistics.median(jitter):.2f} / {p99:.2f} / {jitter[-1]:.2f} |", flush=True
            )


if __name__ == "__main__":
    main()
