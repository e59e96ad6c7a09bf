"""Benchmark: live fan-out of one call's events to 500 subscribers (half on the live WebSocket, half on the
GraphQL `callEvents` subscription), in process and through Redis.

The server (and the CallReporter that publishes) runs in this process; the subscribers run in a child
process, so receiving does not compete with publishing for one event loop. Each transcript event carries
its publish time (wall clock, same machine); the child records receipt minus publish for every
subscriber and event.

    python scripts/bench_live_fanout.py [--subscribers 500] [--events 50] [--interval 0.05] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# ---- child: the subscribers ----

async def ws_subscriber(http, base, token, call_id, latencies, ready) -> None:
    async with http.ws_connect(f"{base}/api/voice/ws/live/{call_id}?token={token}") as ws:
        async for message in ws:
            event = json.loads(message.data)
            if event["type"] == "start":
                ready()
            elif event["type"] == "transcript":
                latencies.append(time.time() - float(event["text"]))


async def graphql_subscriber(http, base, token, call_id, latencies, ready) -> None:
    query = "subscription($id: ID!) { callEvents(callUuid: $id) { type event } }"
    async with http.ws_connect(f"{base}/api/voice/graphql", protocols=("graphql-transport-ws",)) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"token": token}})
        await ws.receive()
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": call_id}}})
        async for message in ws:
            data = json.loads(message.data)
            if data["type"] == "complete":
                return
            if data["type"] != "next":
                continue
            event = data["payload"]["data"]["callEvents"]
            if event["type"] == "start":
                ready()
            elif event["type"] == "transcript":
                latencies.append(time.time() - float(event["event"]["text"]))


async def child(base: str, token: str, call_id: str, subscribers: int, kinds: str) -> None:
    latencies: list[float] = []
    waiting = {"n": subscribers}
    all_ready = asyncio.Event()

    def ready() -> None:
        waiting["n"] -= 1
        if waiting["n"] == 0:
            all_ready.set()

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        tasks = []
        for i in range(subscribers):
            use_ws = kinds == "ws" or (kinds == "mixed" and i % 2 == 0)
            kind = ws_subscriber if use_ws else graphql_subscriber
            tasks.append(asyncio.create_task(kind(http, base, token, call_id, latencies, ready)))
            if i % 50 == 49:
                await asyncio.sleep(0.05)
        await asyncio.wait_for(all_ready.wait(), 60)
        print("ready", flush=True)
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    print(json.dumps({"latencies": latencies}), flush=True)


# ---- parent: the server and the publisher ----

async def parent(args: argparse.Namespace) -> dict:
    import uvicorn

    from app.calls.reporting import CallEnd, CallStart, CallType, Speaker
    from app.config import Settings
    from app.db.setup import close_database, open_database
    from app.main import create_app
    from app.platform import Platform
    from app.services.organisations import create_organisation

    directory = tempfile.mkdtemp()
    url = f"sqlite://{directory}/bench.db"
    await open_database(url)
    port = free_port()
    settings = Settings(database_url=url, data_dir=Path(directory), rate_limits=False, secret_key="bench",
                        redis_url=args.redis_url, public_url=f"http://127.0.0.1:{port}")
    platform = Platform.build(settings)
    app = create_app(settings, platform=platform, manage_database=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws_max_queue=64))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    org = await create_organisation("Bench")
    now = datetime.now(timezone.utc)
    call_id = await platform.reporter.started(CallStart(org.organisation.id, CallType.OUTBOUND, None, None, None,
                                                        "+15550010000", "+14155550192", now))
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--child", f"ws://127.0.0.1:{port}", org.api_key, call_id, str(args.subscribers), args.kinds,
        stdout=asyncio.subprocess.PIPE, limit=2**26)
    line = await asyncio.wait_for(process.stdout.readline(), 90)
    assert line.strip() == b"ready", line
    await asyncio.sleep(0.5)
    for i in range(args.events):
        await platform.reporter.transcript(call_id, Speaker.AGENT, f"{time.time():.6f}", float(i))
        await asyncio.sleep(args.interval)
    await platform.reporter.ended(call_id, CallEnd("connected", datetime.now(timezone.utc), args.events))
    out, _ = await process.communicate()
    latencies = json.loads(out.decode().strip().splitlines()[-1])["latencies"]
    server.should_exit = True
    await serving
    await platform.aclose()
    await close_database()
    expected = args.subscribers * args.events
    return {
        "bus": "redis" if args.redis_url else "in-process", "kinds": args.kinds, "subscribers": args.subscribers, "events": args.events,
        "received": len(latencies), "expected": expected,
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2), "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        base, token, call_id, subscribers, kinds = sys.argv[2:7]
        asyncio.run(child(base, token, call_id, int(subscribers), kinds))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--kinds", choices=("mixed", "ws", "graphql"), default="mixed")
    print(json.dumps(asyncio.run(parent(parser.parse_args()))))


if __name__ == "__main__":
    main()
