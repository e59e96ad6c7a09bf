"""Benchmark: a 10,000-customer campaign through the dialer with a zero-latency carrier.

The platform (a real `Platform`: CampaignService, DialerScheduler, PlatformCallReporter, webhook outbox) runs in
this process on a fresh database, without an HTTP server. The carrier answers every dial at once and ends the
call at once through the reporter, with seeded outcomes (connected, no-answer, voicemail), so what is measured
is the dialer itself: selecting and queueing jobs at launch, claiming and dialling them at the configured pace
and concurrency, settling them, and completing the campaign.

    python scripts/bench_dialer.py --database-url sqlite --customers 10000 --pace 200 --concurrency 100
    python scripts/bench_dialer.py --database-url postgres://postgres@127.0.0.1:5432/voiceai_bench_dialer

A PostgreSQL database is dropped (if it exists) and created at the start and dropped at the end; `sqlite`
means a new file in a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.calls.contract import CallEnd
from app.telephony.base import DialRequest, DialResult


class InstantCarrier:
    """Zero latency: accepts the call and ends it at once with a seeded outcome."""

    def __init__(self, reporter, seed: int) -> None:
        self._reporter = reporter
        self._rng = random.Random(seed)
        self.dial_times: list[float] = []
        self.customers: list[str] = []
        self._tasks: set[asyncio.Task] = set()

    async def place_call(self, request: DialRequest) -> DialResult:
        self.dial_times.append(time.perf_counter())
        self.customers.append(request.customer_id)
        roll = self._rng.random()
        outcome, reason = (
            ("no-answer", "no_answer")
            if roll < 0.15
            else (("voicemail", "voicemail") if roll < 0.25 else ("connected", "caller_hangup"))
        )
        task = asyncio.get_running_loop().create_task(self._end(request.call_id, outcome, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return DialResult("queued", provider_call_id="BENCH" + request.call_id)

    async def _end(self, call_id: str, outcome: str, reason: str) -> None:
        await asyncio.sleep(0)
        await self._reporter.ended(
            call_id, CallEnd(outcome=outcome, ended_at=datetime.now(UTC), duration_seconds=0, end_reason=reason)
        )

    async def aclose(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)


def per_second(times: list[float]) -> list[int]:
    """Dials in each whole second from the first dial (the last, partial second left out): how steady the pace is."""
    if len(times) < 2:
        return []
    counts = Counter(int(moment - times[0]) for moment in times)
    return [counts.get(second, 0) for second in range(int(times[-1] - times[0]))]


async def fresh_postgres(url: str) -> None:
    import asyncpg

    base, _, name = url.rpartition("/")
    connection = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_postgres(url: str) -> None:
    import asyncpg

    base, _, name = url.rpartition("/")
    connection = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def run(args: argparse.Namespace) -> dict[str, float]:
    from app.config import Settings
    from app.db.models import Campaign, DialJob
    from app.db.setup import close_database, open_database
    from app.organisations.service import create_organisation
    from app.platform import Platform

    directory = Path(tempfile.mkdtemp(prefix="bench-dialer-"))
    postgres = args.database_url.startswith("postgres")
    url = args.database_url if postgres else f"sqlite://{directory}/bench.db"
    if postgres:
        await fresh_postgres(url)
    settings = Settings(
        database_url=url,
        data_dir=directory,
        secret_key="bench-dialer",
        telephony="simulator",
        dialer_poll_seconds=0.05,
        dialer_calls_per_second=args.pace,
        dialer_flow_concurrency=args.concurrency,
        dialer_org_concurrency=args.concurrency,
        dialer_max_attempts=1,
    )
    await open_database(url)
    platform = Platform.build(settings)
    try:
        organisation = (await create_organisation("Bench")).organisation.id
        agent = await platform.agents.create(
            organisation, {"name": "Aria", "role": "Sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}}
        )
        flow = await platform.flows.create(
            organisation,
            {
                "kind": "outbound",
                "name": "Bench",
                "provider": "sarvam",
                "voice_agent_id": agent.id,
                "branches": ["Bench:A", "Bench:B"],
                "status": "active",
            },
        )
        rng = random.Random(args.seed)
        phones = rng.sample(range(10**8), args.customers)
        loaded = time.perf_counter()
        for start in range(0, args.customers, 1000):
            await platform.customers.bulk_upsert(
                organisation,
                [
                    {
                        "name": f"Customer {n}",
                        "phone": f"+9198{phones[n]:08d}",
                        "tags": [rng.choice(["Bench:A", "Bench:B"])],
                    }
                    for n in range(start, min(start + 1000, args.customers))
                ],
            )
        loaded = time.perf_counter() - loaded

        carrier = InstantCarrier(platform.reporter, args.seed)
        platform.carriers.override = carrier
        launch_started = time.perf_counter()
        launched = await platform.campaigns.launch(organisation, flow.id)
        launch_seconds = time.perf_counter() - launch_started
        platform.dialer.start()
        while not await Campaign.filter(flow_id=flow.id, status="completed").exists():
            if time.perf_counter() - launch_started > args.timeout:
                raise SystemExit("timed out before campaign.completed")
            await asyncio.sleep(0.05)
        completed_seconds = time.perf_counter() - launch_started
        await platform.dialer.aclose()
        jobs = await DialJob.filter(campaign__flow_id=flow.id).count()
        dialled = len(carrier.dial_times)
        span = carrier.dial_times[-1] - carrier.dial_times[0] if dialled > 1 else 0.0
        seconds = per_second(carrier.dial_times)
        return {
            "customers": args.customers,
            "loaded_seconds": loaded,
            "queued": launched.customers_queued,
            "jobs": jobs,
            "launch_seconds": launch_seconds,
            "queued_per_second": launched.customers_queued / launch_seconds if launch_seconds else 0.0,
            "dialled": dialled,
            "dials_per_second": (dialled - 1) / span if span else 0.0,
            "dials_in_a_second_median": statistics.median(seconds) if seconds else 0,
            "dials_in_a_second_lowest": min(seconds) if seconds else 0,
            "configured_pace": args.pace,
            "concurrency": args.concurrency,
            "dialled_twice": dialled - len(set(carrier.customers)),
            "launch_to_completed_seconds": completed_seconds,
        }
    finally:
        await platform.aclose()
        await close_database()
        if postgres:
            await drop_postgres(url)
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="sqlite")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--pace", type=float, default=200.0, help="calls per second per flow")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    width = max(len(key) for key in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value:.2f}" if isinstance(value, float) else f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
