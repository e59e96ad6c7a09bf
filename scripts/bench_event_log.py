"""Benchmark: the in-process replay buffer's append cost as the number of recently active calls grows.

`ordered` is `MemoryCallEventLog` as it is (buffers kept in order of their latest event, expiry looks only
at the oldest); `scan` is the earlier expiry that visited every call's buffer on every append, rebuilt
here as a subclass so both run in one invocation. Each round appends `--appends` events spread over
`--calls` calls (with an in-process bus and no subscribers) and times every append; the clock advances
so a steady trickle of calls expires, as on a busy instance. Prints median and p99 per append (us) and
the ratio scan/ordered.

    python scripts/bench_event_log.py [--calls 100,1000,10000] [--appends 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.calls.live import REPLAY_SECONDS, MemoryCallEventLog
from app.events import EventBus


class ScanningEventLog(MemoryCallEventLog):
    """The earlier expiry: every append scanned every call's buffer."""

    def _forget_older_than(self, cutoff: float) -> None:
        stale = [
            call_id for call_id, buffer in self._buffers.items() if not buffer.events or buffer.events[-1][0] < cutoff
        ]
        for call_id in stale:
            del self._buffers[call_id]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def run(kind: type[MemoryCallEventLog], calls: int, appends: int) -> list[float]:
    clock = Clock()
    log = kind(EventBus(), clock=clock)
    step = REPLAY_SECONDS / (2 * calls)  # calls are touched round-robin, each well within 10 minutes
    for n in range(calls):  # warm: every call has a buffer before timing starts
        clock.now += step
        await log.append(f"cal_{n}", {"type": "start"})
    timings = []
    event = {"type": "transcript", "speaker": "agent", "text": "hello", "timestamp": 1.0}
    for i in range(appends):
        clock.now += step
        call_id = f"cal_{i % calls}" if i % 50 else f"cal_new_{i}"  # 2% new calls; the oldest expire
        started = time.perf_counter()
        await log.append(call_id, event)
        timings.append(time.perf_counter() - started)
    return timings


def summary(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered) * 1e6, ordered[int(len(ordered) * 0.99)] * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", default="100,1000,10000")
    parser.add_argument("--appends", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("calls | ordered p50 / p99 us | scan p50 / p99 us | p50 scan/ordered")
    for calls in (int(value) for value in args.calls.split(",")):
        results: dict[str, list[tuple[float, float]]] = {"ordered": [], "scan": []}
        for _ in range(args.rounds):
            for name, kind in (("ordered", MemoryCallEventLog), ("scan", ScanningEventLog)):
                results[name].append(summary(await run(kind, calls, args.appends)))
        (o50, o99), (s50, s99) = (
            [statistics.median(values) for values in zip(*results[name], strict=True)] for name in ("ordered", "scan")
        )
        print(f"{calls} | {o50:.2f} / {o99:.2f} | {s50:.2f} / {s99:.2f} | {s50 / o50:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
