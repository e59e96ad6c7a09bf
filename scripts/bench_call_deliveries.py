"""Benchmark: `callWebhookDeliveries` (the console's call page) as the webhook outbox grows.

Seeds one organisation with `--webhooks` webhooks and `--calls` calls, each call with a `call.started` and a
`call.ended` delivery to every webhook (so deliveries = calls x 2 x webhooks) and one logged attempt per
delivery, written with bulk inserts straight into a fresh database. Then times `call_deliveries()` — the
app function behind the GraphQL field — for `--samples` random calls and prints p50/p99.

    python scripts/bench_call_deliveries.py --calls 50000 --webhooks 2
    python scripts/bench_call_deliveries.py --calls 50000 --webhooks 2 --without-indexes   # before migration 0007
    python scripts/bench_call_deliveries.py --calls 50000 --webhooks 2 \
        --database-url postgres://postgres@127.0.0.1:5432/voiceai_bench_call_deliveries

A PostgreSQL database is dropped (if it exists) and created at the start and dropped at the end; `sqlite`
means a new file in a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def admin(url: str, statement: str) -> None:
    import asyncpg

    base, _ = url.rsplit("/", 1)
    connection = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def seed(organisation_id: str, calls: int, webhooks: int) -> list[str]:
    from app.db.models import Call, Webhook, WebhookDelivery, WebhookLog
    from app.ids import new_id

    hooks = [
        await Webhook.create(
            id=new_id("wbh"),
            organisation_id=organisation_id,
            name=f"hook {n}",
            url=f"https://example.com/{n}",
            events=["call.started", "call.ended"],
            secret="x",
        )
        for n in range(webhooks)
    ]
    start = datetime.now(UTC) - timedelta(days=30)
    call_ids: list[str] = []
    batch = 2000
    for first in range(0, calls, batch):
        rows, deliveries, logs = [], [], []
        for index in range(first, min(calls, first + batch)):
            moment = start + timedelta(seconds=index * 30)
            call_id = new_id("cal")
            call_ids.append(call_id)
            rows.append(
                Call(
                    id=call_id,
                    organisation_id=organisation_id,
                    call_type="outbound",
                    status="completed",
                    started_at=moment,
                    ended_at=moment + timedelta(seconds=60),
                    transcript=[],
                    key_details={},
                )
            )
            for event in ("call.started", "call.ended"):
                payload = {
                    "event": event,
                    "fired_at": moment.isoformat(),
                    "organisation_uuid": organisation_id,
                    "data": {"call_uuid": call_id, "call_type": "outbound", "customer_metadata": {}},
                }
                for hook in hooks:
                    delivery_id = new_id("msg")
                    deliveries.append(
                        WebhookDelivery(
                            id=delivery_id,
                            webhook_id=hook.id,
                            event_type=event,
                            payload=payload,
                            status="delivered",
                            attempts=1,
                            next_attempt_at=moment,
                            finished_at=moment,
                        )
                    )
                    logs.append(
                        WebhookLog(
                            id=new_id("wbl"),
                            webhook_id=hook.id,
                            delivery_id=delivery_id,
                            attempt=1,
                            event_type=event,
                            payload=payload,
                            response_status=200,
                            success=True,
                            triggered_at=moment,
                        )
                    )
        await Call.bulk_create(rows)
        await WebhookDelivery.bulk_create(deliveries)
        await WebhookLog.bulk_create(logs)
    return call_ids


async def main(args: argparse.Namespace) -> dict:
    from app.db.setup import close_database, open_database
    from app.organisations.service import create_organisation
    from app.webhooks.call_deliveries import call_deliveries

    directory = tempfile.mkdtemp(prefix="bench-call-deliveries-")
    url = f"sqlite://{directory}/bench.db" if args.database_url == "sqlite" else args.database_url
    postgres = url.startswith("postgres")
    if postgres:
        name = url.rsplit("/", 1)[1]
        await admin(url, f'DROP DATABASE IF EXISTS "{name}"')
        await admin(url, f'CREATE DATABASE "{name}"')
    await open_database(url)
    try:
        if args.without_indexes:
            from tortoise import connections

            from app.db.call_delivery_indexes import REVERSE

            for statement in REVERSE:
                await connections.get("default").execute_script(statement)
        organisation = (await create_organisation("Bench")).organisation.id
        started = time.perf_counter()
        call_ids = await seed(organisation, args.calls, args.webhooks)
        seeded = time.perf_counter() - started
        rng = random.Random(args.seed)
        timings: list[float] = []
        for _ in range(args.samples):
            call_id = rng.choice(call_ids)
            began = time.perf_counter()
            found = await call_deliveries(organisation, call_id)
            timings.append((time.perf_counter() - began) * 1000)
            assert len(found) == 2 * args.webhooks, found
    finally:
        await close_database()
        if postgres:
            await admin(url, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
        shutil.rmtree(directory, ignore_errors=True)
    return {
        "database": "postgres" if postgres else "sqlite",
        "indexes": not args.without_indexes,
        "calls": args.calls,
        "webhooks": args.webhooks,
        "deliveries": args.calls * 2 * args.webhooks,
        "seed_seconds": round(seeded, 1),
        "samples": args.samples,
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="sqlite", help="'sqlite' (a temporary file) or a postgres:// URL")
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--webhooks", type=int, default=2)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--without-indexes", action="store_true", help="drop migration 0007's indexes first")
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
