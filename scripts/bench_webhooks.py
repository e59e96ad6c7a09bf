"""Benchmark: webhook delivery through the transactional outbox to a local receiver.

The platform (a real `Platform` built from `Settings.from_env()`, with its `WebhookWorker` and aiohttp sender)
runs in this process on a fresh database; the receiver runs in a child process (aiohttp on 127.0.0.1), so
receiving does not compete with the worker for one event loop. The receiver checks `X-NN-Signature` (and the
Standard Webhooks signature) of every request, answers 500 to a configurable fraction of them, and counts the
accepted deliveries per webhook and per event.

Events are enqueued with `WebhookOutbox.enqueue(organisation_id, event, data, connection=...)` inside a
transaction, then `notify()`: what `CallReporter` does for every call event. Each event goes to every webhook
(`--webhooks`, default 2), so "exactly once per webhook" is checked for each (webhook, event) pair.

    python scripts/bench_webhooks.py --database-url sqlite --events 10000 --fail 0
    python scripts/bench_webhooks.py --database-url sqlite --events 10000 --fail 0.3
    python scripts/bench_webhooks.py --database-url sqlite --events 10000 --fail 0 --backlog
    python scripts/bench_webhooks.py --events 10000 --fail 0.3 \\
        --database-url postgres://postgres@127.0.0.1:5432/voiceai_bench_webhooks

A PostgreSQL database is dropped (if it exists) and created at the start and dropped at the end; `sqlite`
means a new file in a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ---- child: the receiver ----


def receiver_app(fail: float, seed: int) -> web.Application:
    rng = random.Random(seed)
    secrets: dict[str, str] = {}
    state = {
        "requests": 0,
        "failed_on_purpose": 0,
        "bad_signature": 0,
        "accepted": Counter(),  # (hook, event number) -> accepted deliveries
        "accepted_ids": Counter(),  # webhook-id -> accepted deliveries
        "latency": {},  # "hook:event" -> receipt minus enqueue time, first accepted delivery
    }

    async def configure(request: web.Request) -> web.Response:
        for hook, secret in (await request.json()).items():
            secrets[hook] = secret
        return web.json_response({"ok": True})

    async def hook(request: web.Request) -> web.Response:
        received = time.time()
        name = request.match_info["hook"]
        body = await request.read()
        state["requests"] += 1
        secret = secrets.get(name, "")
        nn = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()  # keyed with the whole secret string
        key = base64.b64decode(secret.removeprefix("whsec_"))  # Standard Webhooks' key
        signed = f"{request.headers.get('webhook-id')}.{request.headers.get('webhook-timestamp')}.".encode() + body
        standard = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        if not (
            hmac.compare_digest(nn, request.headers.get("X-NN-Signature", ""))
            and hmac.compare_digest(standard, request.headers.get("webhook-signature", ""))
        ):
            state["bad_signature"] += 1
            return web.Response(status=401)
        if rng.random() < fail:
            state["failed_on_purpose"] += 1
            return web.Response(status=500)
        data = json.loads(body)["data"]
        event = (name, data["bench_event"])
        state["accepted"][event] += 1
        state["accepted_ids"][request.headers["webhook-id"]] += 1
        state["latency"].setdefault(f"{name}:{data['bench_event']}", received - data["enqueued_at"])
        return web.Response(status=200)

    async def stats(request: web.Request) -> web.Response:
        accepted = state["accepted"]
        return web.json_response(
            {
                "requests": state["requests"],
                "failed_on_purpose": state["failed_on_purpose"],
                "bad_signature": state["bad_signature"],
                "accepted": sum(accepted.values()),
                "distinct": len(accepted),
                "duplicates": sum(n - 1 for n in accepted.values() if n > 1),
                "duplicate_ids": sum(n - 1 for n in state["accepted_ids"].values() if n > 1),
                "pairs": [[hook, event] for hook, event in accepted] if request.query.get("pairs") else None,
                "latency": state["latency"] if request.query.get("latency") else None,
            }
        )

    app = web.Application()
    app.router.add_post("/configure", configure)
    app.router.add_post("/hook/{hook}", hook)
    app.router.add_get("/stats", stats)
    return app


def run_receiver(port: int, fail: float, seed: int) -> None:
    web.run_app(receiver_app(fail, seed), host="127.0.0.1", port=port, print=None, access_log=None)


# ---- parent: the platform ----


async def fresh_postgres(url: str) -> None:
    import asyncpg

    base, name = url.rsplit("/", 1)
    connection = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_postgres(url: str) -> None:
    import asyncpg

    base, name = url.rsplit("/", 1)
    connection = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await connection.close()


async def parent(args: argparse.Namespace) -> dict:
    directory = tempfile.mkdtemp(prefix="bench-webhooks-")
    url = f"sqlite://{directory}/bench.db" if args.database_url == "sqlite" else args.database_url
    postgres = url.startswith("postgres")
    os.environ.update(
        {
            "VOICEAI_DATABASE_URL": url,
            "VOICEAI_DATA_DIR": directory,
            "VOICEAI_SECRET_KEY": "bench",
            "VOICEAI_RATE_LIMITS": "off",
            "VOICEAI_ALLOW_HTTP_WEBHOOKS": "on",
            "VOICEAI_ALLOW_PRIVATE_WEBHOOKS": "on",
            "VOICEAI_WEBHOOK_WORKER": "on",
            "VOICEAI_WEBHOOK_BACKOFF_SECONDS": str(args.backoff),
            "VOICEAI_WEBHOOK_TIMEOUT_SECONDS": "10",
            "VOICEAI_WEBHOOK_POLL_SECONDS": "0.2",
        }
    )
    os.environ.pop("VOICEAI_REDIS_URL", None)
    if postgres:
        await fresh_postgres(url)

    from tortoise.functions import Count
    from tortoise.transactions import in_transaction

    from app.config import Settings
    from app.db.models import WebhookDelivery
    from app.db.setup import close_database, open_database
    from app.organisations.service import create_organisation
    from app.platform import Platform
    from app.webhooks.outbox import MAX_ATTEMPTS

    port = free_port()
    receiver = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--receiver", str(port), str(args.fail), str(args.seed)
    )
    base = f"http://127.0.0.1:{port}"
    http = aiohttp.ClientSession()
    try:
        for _ in range(200):
            try:
                async with http.get(f"{base}/stats") as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)

        await open_database(url)
        settings = Settings.from_env()
        platform = Platform.build(settings)
        org = await create_organisation("Bench")
        organisation_id = org.organisation.id
        secrets = {}
        for i in range(args.webhooks):
            created = await platform.webhooks.create(
                organisation_id, {"name": f"bench {i}", "url": f"{base}/hook/h{i}", "events": ["call.ended"]}
            )
            secrets[f"h{i}"] = created.secret
        async with http.post(f"{base}/configure", json=secrets) as answer:
            assert answer.status == 200
        if not args.backlog:
            platform.start_workers()

        expected = args.events * args.webhooks
        started = time.time()
        for i in range(args.events):
            async with in_transaction() as connection:
                await platform.outbox.enqueue(
                    organisation_id, "call.ended", {"bench_event": i, "enqueued_at": time.time()}, connection=connection
                )
            platform.outbox.notify()
            if i % 200 == 199:
                await asyncio.sleep(0)  # one event per transaction, as the reporter does; let the worker run
        enqueued = time.time()
        if args.backlog:
            platform.start_workers()

        # Wait until no delivery is pending (delivered or failed for good).
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            pending = await WebhookDelivery.filter(status="pending").count()
            if pending == 0:
                break
            await asyncio.sleep(0.1)
        finished = time.time()
        await platform.webhook_worker.stop()
        statuses = Counter(
            {
                row["status"]: row["n"]
                for row in await WebhookDelivery.all().group_by("status").annotate(n=Count("id")).values("status", "n")
            }
        )
        attempts = Counter(
            {
                row["attempts"]: row["n"]
                for row in await WebhookDelivery.all()
                .group_by("attempts")
                .annotate(n=Count("id"))
                .values("attempts", "n")
            }
        )
        failed_ids = set(await WebhookDelivery.filter(status="failed").values_list("id", flat=True))

        async with http.get(f"{base}/stats", params={"pairs": "1", "latency": "1"}) as answer:
            stats = await answer.json()
        await platform.aclose()
        await close_database()
    finally:
        await http.close()
        receiver.terminate()
        await receiver.wait()
        shutil.rmtree(directory, ignore_errors=True)
        if postgres:
            await drop_postgres(url)

    delivered_pairs = {(hook, event) for hook, event in stats["pairs"]}
    missing = expected - len(delivered_pairs)
    latencies = list(stats["latency"].values())
    return {
        "database": "postgres" if postgres else "sqlite",
        "events": args.events,
        "webhooks": args.webhooks,
        "fail_fraction": args.fail,
        "backoff_s": args.backoff,
        "max_attempts": MAX_ATTEMPTS,
        "expected_deliveries": expected,
        "enqueue_s": round(enqueued - started, 2),
        "enqueue_per_s": round(args.events / (enqueued - started), 1),
        "total_s": round(finished - started, 2),
        "deliveries_per_s": round(len(delivered_pairs) / (finished - started), 1),
        "backlog": args.backlog,
        "drain_s": round(finished - enqueued, 2),
        "drain_deliveries_per_s": round(len(delivered_pairs) / (finished - enqueued), 1) if args.backlog else None,
        "attempts_per_s": round(stats["requests"] / (finished - started), 1),
        "receiver_requests": stats["requests"],
        "answered_500": stats["failed_on_purpose"],
        "bad_signature": stats["bad_signature"],
        "delivered_pairs": len(delivered_pairs),
        "duplicates": stats["duplicates"],
        "duplicate_webhook_ids": stats["duplicate_ids"],
        "missing": missing,
        "outbox_failed_after_all_attempts": len(failed_ids),
        "outbox_status": dict(statuses),
        "attempts_histogram": {str(k): v for k, v in sorted(attempts.items())},
        "expected_exhausted": round(expected * args.fail**MAX_ATTEMPTS, 1),
        "latency_p50_ms": round(percentile(latencies, 0.5) * 1000, 1) if latencies else None,
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 1) if latencies else None,
        "latency_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--receiver":
        port, fail, seed = sys.argv[2:5]
        run_receiver(int(port), float(fail), int(seed))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="sqlite", help="'sqlite' (a temporary file) or a postgres:// URL")
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--webhooks", type=int, default=2)
    parser.add_argument("--fail", type=float, default=0.0, help="fraction of requests the receiver answers 500")
    parser.add_argument("--backoff", type=float, default=0.1, help="VOICEAI_WEBHOOK_BACKOFF_SECONDS")
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="enqueue everything first, then start the worker and time the drain alone",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    print(json.dumps(asyncio.run(parent(parser.parse_args()))))


if __name__ == "__main__":
    main()
