"""What the event-loop lag monitor costs: process CPU per second on an idle loop and on one carrying N
players' 20 ms timers, with and without the monitor (`python scripts/bench_loop_lag.py [N] [seconds]`).

Figures on a shared machine are noisy: run it a few times and compare the idle line, which is the floor."""

from __future__ import annotations

import asyncio
import sys
import time

from app.loop_lag import LoopLagMonitor
from app.metrics import Metrics


async def player() -> None:
    while True:
        await asyncio.sleep(0.02)


async def cpu_per_second(monitored: bool, players: int, seconds: float) -> float:
    tasks = [asyncio.create_task(player()) for _ in range(players)]
    monitor = LoopLagMonitor(Metrics().event_loop_lag.observe)
    if monitored:
        monitor.start()
    await asyncio.sleep(0.5)
    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    rate = (time.process_time() - cpu) / (time.monotonic() - wall)
    if monitored:
        await monitor.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return rate


def main() -> None:
    players = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 8.0
    for count in (0, players):
        off = asyncio.run(cpu_per_second(False, count, seconds))
        on = asyncio.run(cpu_per_second(True, count, seconds))
        print(
            f"{count:4d} players: {off * 1000:6.1f} ms CPU/s without the monitor, {on * 1000:6.1f} with it "
            f"(+{(on - off) * 1000:.1f} ms/s)"
        )


if __name__ == "__main__":
    main()
