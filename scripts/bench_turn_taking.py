"""Turn-taking as a caller hears it (issue 15): a generated espeak-ng corpus (English + Hindi) driven in real
time through the Exotel socket of a real `voiceai serve`, side by side for two flows in the same run:
`today` (`config.turn_taking = {"legacy": true}`: webrtcvad, a fixed 600 ms endpoint, clear at onset) and
`new` (the defaults), calls of both interleaved so they share the machine's load.

    .venv/bin/python scripts/bench_turn_taking.py [--repeat 1] [--concurrency 4] [--only question,barge_in] [--held-out]
        [--flow 'before={"rising_endpoint_ms": 900}']   # more flows, side by side in the same run
    .venv/bin/python scripts/bench_turn_taking.py --cpu     # CPU per call-second of the per-frame work
    .venv/bin/python scripts/bench_turn_taking.py --endpoints [--repeat 2]  # endpointing probe, no server

Prints a markdown table per category (reply delay p50/p95, premature takeovers, false clears, missed or slow
barge-ins, words lost on resume) and a JSON line with every call's score.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.loadgen.server import API, Database, Server
from scripts.turnbench.caller import run_call
from scripts.turnbench.corpus import Category, Scenario, scenarios
from scripts.turnbench.scoring import Score, Summary, score

CONFIGS: dict[str, dict[str, Any]] = {"today": {"legacy": True}, "new": {}}


async def setup_lines(base: str, api_key: str, configs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """One agent and script, and an active inbound flow per turn-taking config; returns each flow's number."""
    headers = {"Authorization": f"Bearer {api_key}"}
    async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=30)) as http:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            async with http.post(base + API + path, json=body) as answer:
                created = await answer.json(content_type=None)
                if answer.status != 201:
                    raise RuntimeError(f"POST {path}: {answer.status} {created}")
                return dict(created)

        agent = await post(
            "/agents",
            {
                "name": "Aria",
                "role": "Support",
                "voice_config": {
                    "provider": "sarvam",
                    "model": "bulbul:v3",
                    "speaker": "shubh",
                    "language_code": "en-IN",
                },
            },
        )
        script = await post(
            "/scripts",
            {
                "name": "Help line",
                "opening_line": "Hello, thanks for calling Luminary Home. I can help you with orders, refunds, "
                "deliveries and our spring sale. How can I help you today?",
                "faq": [{"question": "Tell me about the spring sale", "answer": "The spring sale runs until Sunday."}],
            },
        )
        numbers = {}
        for name, turn_taking in configs.items():
            number = f"+9180{secrets.randbelow(10**8):08d}"
            await post(
                "/flows",
                {
                    "kind": "inbound",
                    "name": f"Line {name}",
                    "provider": "sarvam",
                    "status": "active",
                    "voice_agent_id": agent["uuid"],
                    "script_id": script["uuid"],
                    "phone_number": number,
                    "config": {"turn_taking": turn_taking},
                },
            )
            numbers[name] = number
    return numbers


async def run(args: argparse.Namespace) -> dict[str, Any]:
    corpus = [
        s for s in scenarios(args.seed, args.repeat, args.held_out) if not args.only or s.category.value in args.only
    ]
    directory = Path(tempfile.mkdtemp(prefix="bench-turn-"))
    database = await Database.create(directory, None)
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOICEAI_")}
    env.update(
        {
            "VOICEAI_DATABASE_URL": database.url,
            "VOICEAI_DATA_DIR": str(directory),
            "VOICEAI_RATE_LIMITS": "off",
            "VOICEAI_LOG_LEVEL": os.environ.get("BENCH_SERVER_LOG", "WARNING"),
            "VOICEAI_EXOTEL_SOCKET_AUTH": "none",
            "VOICEAI_TELEPHONY": "simulator",
            "VOICEAI_DIALER": "off",
            "VOICEAI_SECRET_KEY": "bench-secret-key-not-for-production",
            "PYTHONUNBUFFERED": "1",
        }
    )
    server = Server(sys.executable, Path(__file__).resolve().parents[1], env)
    try:
        api_key = json.loads(server.cli("org", "create", "Bench"))["api_key"]
        await server.start(directory / "server.log")
        configs = {**CONFIGS, **dict(args.flow)}
        numbers = await setup_lines(server.base, api_key, configs)
        url = server.base.replace("http", "ws", 1) + API + "/ws/exotel"
        warm = [s for s in scenarios(args.seed) if s.category == Category.QUESTION][:2]
        await asyncio.gather(*(run_call(url, numbers[name], s) for name in configs for s in warm))  # not scored:
        # the first calls of a fresh server load pocketsphinx decoders (~0.4 s each) in its workers
        jobs = [(name, scenario) for scenario in corpus for name in configs]
        gate = asyncio.Semaphore(args.concurrency)
        results: dict[str, list[tuple[Scenario, Score]]] = {name: [] for name in configs}

        async def one(name: str, scenario: Scenario) -> None:
            async with gate:
                heard = await run_call(url, numbers[name], scenario)
                results[name].append((scenario, score(scenario, heard)))
                print(f"  {name:5} {scenario.name[:70]}", file=sys.stderr)

        await asyncio.gather(*(one(name, scenario) for name, scenario in jobs))
    finally:
        server.stop()
        await database.drop()
    report: dict[str, Any] = {}
    for scored in results.values():
        words_lost(scored)
    for name, scored in results.items():
        by_category: dict[Category, Summary] = {}
        for scenario, result in scored:
            by_category.setdefault(scenario.category, Summary(scenario.category)).scores.append(result)
        report[name] = {c.value: by_category[c].as_dict() for c in Category if c in by_category}
    report["calls"] = {
        name: [{"scenario": s.name, **{k: v for k, v in r.__dict__.items() if k != "category"}} for s, r in scored]
        for name, scored in results.items()
    }
    return report


def words_lost(scored: list[tuple[Scenario, Score]]) -> None:
    """Agent audio of the greeting the caller never heard: the longest greeting heard on a call of the flow
    with no `clear` is the whole of it; replayed audio (a resume after a clear) counts as heard."""
    full = max((s.greeting_heard for _, s in scored if not s.false_clear and s.clear_latency is None), default=0.0)
    for scenario, result in scored:
        if scenario.category in (Category.BACKCHANNEL, Category.NOISE):
            result.lost_ms = max(0.0, full - result.greeting_heard) * 1000


def table(report: dict[str, Any]) -> str:
    names = [name for name in report if name != "calls"]
    lines = [f"| category | metric | {' | '.join(names)} |", "|---|---|" + "---|" * len(names)]
    for category in Category:
        columns = [report[name].get(category.value) for name in names]
        if any(column is None for column in columns):
            continue
        for key in columns[0]:
            lines.append(f"| {category.value} | {key} | {' | '.join(str(column.get(key)) for column in columns)} |")
    return "\n".join(lines)


def flow(text: str) -> tuple[str, dict[str, Any]]:
    name, _, config = text.partition("=")
    try:
        parsed = json.loads(config)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--flow {text!r}: expected NAME=JSON") from None
    if not name or not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError(f"--flow {text!r}: expected NAME=JSON object")
    return name, parsed


def endpoint_probe(args: argparse.Namespace) -> None:
    """Questions and mid-sentence pauses, recorded once in real time, replayed under each endpoint policy."""
    from app.turn_taking.config import LEGACY, TurnTakingConfig
    from app.turn_taking.endpointing import EndpointPolicy
    from scripts.turnbench.endpoints import explain, record_all, summary

    wanted = (Category.QUESTION, Category.MID_PAUSE)
    corpus = [
        s
        for seed in range(args.seed, args.seed + args.repeat)
        for s in scenarios(seed, 1, args.held_out)
        if s.category in wanted
    ]
    timelines = asyncio.run(record_all(corpus, TurnTakingConfig(), args.concurrency))
    policies = {
        "today (fixed 600 ms)": LEGACY,
        "words trusted (250/500/1400 ms)": TurnTakingConfig(trust_partials=True, endpoint_ms=500),
        "900 ms, no intonation": TurnTakingConfig(rising_endpoint_ms=900),
        "default (900 ms, 450 ms on a rising end)": TurnTakingConfig(),
    }
    for name, config in policies.items():
        print(f"{name}: {json.dumps(summary(timelines, EndpointPolicy(config)), ensure_ascii=False)}")
    for timeline in timelines:
        print(explain(timeline, EndpointPolicy(TurnTakingConfig())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="how many times each scenario runs per config")
    parser.add_argument("--concurrency", type=int, default=4, help="calls at once (both configs interleaved)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cpu", action="store_true", help="only the in-process CPU micro-benchmark per frame")
    parser.add_argument("--only", type=lambda s: s.split(","), default=None, help="categories, comma separated")
    parser.add_argument("--endpoints", action="store_true", help="only the endpointing probe (no server)")
    parser.add_argument("--flow", type=flow, action="append", default=[], help="NAME=JSON: another flow's turn_taking")
    parser.add_argument("--held-out", action="store_true", help="other sentences, backchannels and voices")
    args = parser.parse_args()
    if args.endpoints:
        endpoint_probe(args)
        return
    if args.cpu:
        from scripts.turnbench.cpu import measure

        for name, figures in measure().items():
            print(f"| {name} | {figures['cpu_ms_per_call_second']} ms | {figures['calls_per_core']} |")
        return
    try:
        report = asyncio.run(run(args))
    except (RuntimeError, OSError) as error:
        raise SystemExit(f"bench_turn_taking: {error}") from None
    print(table(report))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
