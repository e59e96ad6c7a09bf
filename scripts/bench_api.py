"""Benchmark: GET /agents (50 agents) through the REST shim against the same GraphQL query.

Runs `voiceai serve` on loopback in its own process (rate limits off), seeds one organisation with
50 agents, then alternates rounds of REST and GraphQL requests from a separate client process so
both doors see the same machine noise. Prints requests/s and p50/p99 latency per door, and the
shim's overhead as a ratio of the medians.

    python scripts/bench_api.py [--rounds 7] [--requests 400] [--concurrency 4] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import aiohttp

GRAPHQL_QUERY = (
    "query { agents { uuid name role description avatarColor avatarInitials "
    "voiceConfig { provider model speaker languageCode sampleUrl } isActive createdAt } }"
)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run_door(http: aiohttp.ClientSession, send, requests: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            await send()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started), latencies


async def bench(base: str, key: str, rounds: int, requests: int, concurrency: int) -> dict:
    headers = {"Authorization": f"Bearer {key}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:
        for index in range(50):
            async with http.post(
                f"{base}/api/voice/agents",
                json={
                    "name": f"Agent {index}",
                    "role": "Outbound Sales",
                    "description": "Benchmark agent",
                    "avatar_color": "#6366f1",
                    "avatar_initials": "AG",
                    "voice_config": {
                        "provider": "sarvam",
                        "model": "bulbul:v3",
                        "speaker": "shubh",
                        "language_code": "hi-IN",
                    },
                },
            ) as answer:
                assert answer.status == 201, await answer.text()

        async def rest() -> None:
            async with http.get(f"{base}/api/voice/agents") as answer:
                body = await answer.read()
                assert answer.status == 200 and body.count(b'"uuid"') == 50

        async def graphql() -> None:
            async with http.post(f"{base}/api/voice/graphql", json={"query": GRAPHQL_QUERY}) as answer:
                body = await answer.read()
                assert answer.status == 200 and body.count(b'"uuid"') == 50

        for send in (rest, graphql):  # warm up both paths
            await run_door(http, send, 200, concurrency)
        results: dict[str, dict[str, list]] = {"rest": {"rps": [], "lat": []}, "graphql": {"rps": [], "lat": []}}
        for _ in range(rounds):
            for name, send in (("rest", rest), ("graphql", graphql)):
                rps, latencies = await run_door(http, send, requests, concurrency)
                results[name]["rps"].append(rps)
                results[name]["lat"].extend(latencies)
    summary = {}
    for name, result in results.items():
        summary[name] = {
            "requests_per_second_median": round(statistics.median(result["rps"]), 1),
            "p50_ms": round(percentile(result["lat"], 0.50) * 1000, 2),
            "p99_ms": round(percentile(result["lat"], 0.99) * 1000, 2),
            "samples": len(result["lat"]),
        }
    summary["rest_overhead_vs_graphql"] = {
        "throughput": round(
            summary["graphql"]["requests_per_second_median"] / summary["rest"]["requests_per_second_median"] - 1, 3
        ),
        "p50_latency": round(summary["rest"]["p50_ms"] / summary["graphql"]["p50_ms"] - 1, 3),
    }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=400, help="requests per door per round")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        database_url = args.database_url or f"sqlite://{directory}/bench.db"
        env = {
            **os.environ,
            "VOICEAI_DATABASE_URL": database_url,
            "VOICEAI_RATE_LIMITS": "off",
            "VOICEAI_DATA_DIR": directory,
            "VOICEAI_LOG_LEVEL": "WARNING",
        }
        cli = [sys.executable, "-m", "app.cli"]
        created = json.loads(
            subprocess.run([*cli, "org", "create", "Bench"], env=env, check=True, capture_output=True, text=True).stdout
        )
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    import urllib.request

                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            summary = asyncio.run(bench(base, created["api_key"], args.rounds, args.requests, args.concurrency))
        finally:
            server.terminate()
            server.wait()
    summary["database"] = database_url.split(":")[0]
    summary["concurrency"] = args.concurrency
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
