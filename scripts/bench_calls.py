"""Concurrent calls as a user deploys them (issue 13): `voiceai serve` in its own process, N simulated Exotel
callers in other processes over real sockets.

    python scripts/bench_calls.py --mode remote --calls 25,50,100,200 --rounds 3
    python scripts/bench_calls.py --mode offline --calls 1,5,10,20
    python scripts/bench_calls.py --mode remote --calls 200 --database-url postgres://postgres@127.0.0.1:5432/postgres
    # an older checkout's server, driven by this bench:
    python scripts/bench_calls.py --server-dir /work/old --server-python /work/old/.venv/bin/python --calls 50

Every run starts a fresh server (new data directory and SQLite file, or its own PostgreSQL database next to
`--database-url`), creates an organisation with the server's CLI and an agent, script and active inbound flow
through its REST API, then connects the callers over `--ramp` seconds. Each caller speaks three espeak-ng
phrases (pre-generated WAVs) in real-time 20 ms frames, echoes marks, and listens to each reply
(scripts/loadgen/callers.py). Modes: `offline` (the server's built-in espeak-ng, pocketsphinx and scripted
LLM) and `remote` (fake Sarvam STT/TTS and OpenAI-compatible LLM in their own process, fixed latencies,
scripts/loadgen/fake_providers.py).

Reported per run: turns answered (of expected); reply latency (end of caller speech -> first agent audio)
p50/p99; stalls (playout gaps >= 100 ms inside one reply) and the largest; pacing jitter p50/p99; server
CPU (% of one core, the server's process tree, from /proc) and RSS growth per call (peak during the run minus
before, / N); event-loop lag p99/max (`voiceai_event_loop_lag_seconds` from /metrics when the server has it,
else the round-trip of `/healthz` probes every 200 ms, whose failures are counted: a wedged server stops
answering); and the load generator's own CPU and tick lateness. Everything is on loopback and every run is
bounded by `--seconds`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.loadgen.fake_providers import SARVAM_KEY  # noqa: E402
from scripts.loadgen.measures import reply_pacing, spread, stalls  # noqa: E402
from scripts.loadgen.server import (  # noqa: E402
    Database,
    Server,
    cpu_seconds,
    lag_from_buckets,
    loop_lag_buckets,
    process_tree,
    rss_mb,
    setup_line,
)

PHRASES = ("tell me about the spring sale please", "do you deliver to mumbai", "what time do you open tomorrow")
CALLS_PER_GENERATOR = 100


def write_phrases(directory: Path) -> list[Path]:
    from app.voice.providers.espeak_tts import synthesize_blocking

    paths = []
    for index, text in enumerate(PHRASES):
        path = directory / f"turn{index}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(synthesize_blocking(text, "en", 8000))
        paths.append(path)
    return paths


class Probe:
    """Samples the server while the callers run: CPU and RSS of its process tree, `/healthz` round trips."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.rtts: list[float] = []
        self.failures = 0
        self.rss_peak = 0.0
        self.timeline: list[tuple[float, float | None]] = []  # (seconds into the run, round trip ms or None)
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        t0 = time.perf_counter()
        async with aiohttp.ClientSession() as http:
            while True:
                started = time.perf_counter()
                failures = self.failures
                try:
                    async with http.get(self.server.base + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                        await r.read()
                        if r.status == 200:
                            self.rtts.append((time.perf_counter() - started) * 1000)
                        else:
                            self.failures += 1
                except (TimeoutError, aiohttp.ClientError):
                    self.failures += 1
                self.timeline.append(
                    (round(started - t0, 1), None if self.failures > failures else round(self.rtts[-1], 1))
                )
                self.rss_peak = max(self.rss_peak, rss_mb(process_tree(self.server.process.pid)))
                await asyncio.sleep(max(0.0, 0.2 - (time.perf_counter() - started)))

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def scrape_lag(server: Server) -> dict[float, float] | None:
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(server.base + "/metrics", timeout=aiohttp.ClientTimeout(total=5)) as answer:
                return loop_lag_buckets(await answer.text()) if answer.status == 200 else None
    except (TimeoutError, aiohttp.ClientError):
        return None


async def settle(server: Server, api_key: str, wait: float = 30) -> dict[str, Any]:
    """After the callers hung up: how long until `/healthz` answers and no call is left live (a wedged
    server never gets there), polling every 0.5 s for up to `wait` seconds."""
    started = time.perf_counter()
    healthy_after, live = None, None
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {api_key}"}) as http:
        while time.perf_counter() - started < wait:
            try:
                if healthy_after is None:
                    async with http.get(server.base + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as answer:
                        if answer.status == 200:
                            healthy_after = round(time.perf_counter() - started, 1)
                if healthy_after is not None:
                    async with http.get(
                        server.base + "/api/voice/calls/live", timeout=aiohttp.ClientTimeout(total=2)
                    ) as answer:
                        body = await answer.json(content_type=None)
                        calls = body.get("calls", body) if isinstance(body, dict) else body
                        live = len(calls) if isinstance(calls, list) else None
                        if live == 0:
                            break
            except (TimeoutError, aiohttp.ClientError, ValueError):
                pass
            await asyncio.sleep(0.5)
    return {
        "healthz_answered_after_s": healthy_after,
        "live_calls_left": live,
        "wedged": healthy_after is None,
        "settled_s": round(time.perf_counter() - started, 1),
    }


async def run_callers(
    server: Server, number: str, calls: int, phrases: list[Path], args: argparse.Namespace, seconds: float
) -> list[dict[str, Any]]:
    """Split the calls over generator processes, each ramping its share over the same window."""
    processes = args.generators or max(1, math.ceil(calls / CALLS_PER_GENERATOR))
    shares = [calls // processes + (1 if i < calls % processes else 0) for i in range(processes)]
    url = f"ws://127.0.0.1:{server.port}/api/voice/ws/exotel?sample-rate=8000"
    children, first = [], 0
    for share in shares:
        if share:
            children.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "scripts.loadgen.callers",
                    "--url",
                    url,
                    "--to",
                    number,
                    "--calls",
                    str(share),
                    "--first-index",
                    str(first),
                    "--speech",
                    ",".join(map(str, phrases[: args.turns])),
                    "--ramp",
                    str(args.ramp),
                    "--seconds",
                    str(seconds),
                    "--reply-timeout",
                    str(args.reply_timeout),
                    "--frame-ms",
                    str(args.frame_ms),
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                )
            )
        first += share
    outputs = []
    for child in children:
        try:
            out, _ = await asyncio.wait_for(child.communicate(), seconds + 60)
            outputs.append(json.loads(out))
        except (TimeoutError, ValueError) as error:
            child.kill()
            await child.wait()
            outputs.append({"calls": [], "generator": {"error": repr(error)}})
    return outputs


def unanswered_spans(timeline: list[tuple[float, float | None]]) -> list[tuple[float, float]]:
    """(from, to) seconds into the run during which `/healthz` did not answer within 2 s."""
    spans: list[tuple[float, float]] = []
    start = None
    for at, rtt in timeline:
        if rtt is None and start is None:
            start = at
        elif rtt is not None and start is not None:
            spans.append((start, at))
            start = None
    if start is not None:
        spans.append((start, timeline[-1][0] + 2))
    return spans


def summarise(
    mode: str,
    calls: int,
    turns: int,
    outputs: list[dict[str, Any]],
    probe: Probe,
    cpu: float,
    wall: float,
    rss_before: float,
    lag: dict[str, Any] | None,
    database: str,
) -> dict[str, Any]:
    results = [call for output in outputs for call in output["calls"]]
    expected = calls * turns
    latencies = [value for call in results for value in call["latency_ms"]]
    jitter: list[float] = []
    gaps: list[float] = []
    for call in results:
        for reply in call["replies"]:
            j, g = reply_pacing(reply)
            jitter += j
            gaps += g
    stall_list = stalls(gaps)
    if lag is None:
        lag = {"source": "healthz round trip", **spread(probe.rtts)}
    errors = [call["error"] for call in results if call["error"]]
    call_seconds = sum(call.get("connected_s", 0.0) for call in results)
    return {
        "mode": mode,
        "database": database,
        "calls": calls,
        "turns_answered": sum(call["answered"] for call in results),
        "turns_expected": expected,
        "calls_failed": len(errors) + calls - len(results),
        "first_error": errors[0] if errors else None,
        "reply_latency_ms": spread(latencies),
        "stalls": len(stall_list),
        "max_stall_ms": round(max(stall_list), 1) if stall_list else 0.0,
        "jitter_ms": spread(jitter),
        "server_cpu_percent": round(cpu / wall * 100, 1) if wall else None,
        "server_cpu_ms_per_call_second": round(cpu * 1000 / call_seconds, 2) if call_seconds else None,
        "call_seconds": round(call_seconds, 1),
        "rss_per_call_mb": round((probe.rss_peak - rss_before) / calls, 2),
        "rss_before_mb": round(rss_before, 1),
        "event_loop_lag_ms": lag,
        "healthz_failures": probe.failures,
        "healthz_unanswered_s": unanswered_spans(probe.timeline),
        "generators": [output["generator"] for output in outputs],
    }


async def one_run(
    args: argparse.Namespace,
    calls: int,
    phrases: list[Path],
    providers: dict[str, str] | None,
    work: Path,
    providers_pid: int | None = None,
) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix=f"run-{calls}-", dir=work))
    database = await Database.create(directory, args.database_url)
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOICEAI_")}
    env.update(
        {
            "VOICEAI_DATABASE_URL": database.url,
            "VOICEAI_DATA_DIR": str(directory),
            "VOICEAI_RATE_LIMITS": "off",
            "VOICEAI_LOG_LEVEL": args.server_log_level,
            "VOICEAI_EXOTEL_SOCKET_AUTH": "none",
            "VOICEAI_TELEPHONY": "simulator",
            "VOICEAI_DIALER": "off",
            "VOICEAI_SECRET_KEY": "bench-secret-key-not-for-production",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if providers is not None:
        env.update(
            {
                "VOICEAI_SARVAM_API_KEY": SARVAM_KEY,
                "VOICEAI_SARVAM_BASE_URL": providers["sarvam"],
                "VOICEAI_LLM_API_KEY": "sk-bench",
                "VOICEAI_LLM_BASE_URL": providers["openai"],
                "VOICEAI_SARVAM_STREAMING": "on" if args.streaming else "off",
            }
        )
    for setting in args.server_env:
        name, _, value = setting.partition("=")
        env[name] = value
    server = Server(args.server_python, Path(args.server_dir), env)
    try:
        api_key = json.loads(server.cli("org", "create", "Bench"))["api_key"]
        await server.start(directory / "server.log")
        number = await setup_line(server.base, api_key, args.turn_taking)
        lag_before = await scrape_lag(server)
        pids = process_tree(server.process.pid)
        rss_before = rss_mb(pids)
        probe = Probe(server)
        probe.start()
        cpu0, wall0 = cpu_seconds(process_tree(server.process.pid)), time.perf_counter()
        fakes0 = cpu_seconds([providers_pid]) if providers_pid else 0.0
        seconds = args.seconds or args.ramp + 90
        outputs = await run_callers(server, number, calls, phrases, args, seconds)
        cpu, wall = cpu_seconds(process_tree(server.process.pid)) - cpu0, time.perf_counter() - wall0
        fakes = cpu_seconds([providers_pid]) - fakes0 if providers_pid else None
        await probe.stop()
        after = await settle(server, api_key)
        lag_after = await scrape_lag(server) if lag_before is not None else None
        lag = lag_from_buckets(lag_before, lag_after) if lag_before is not None and lag_after is not None else None
        summary = summarise(
            args.mode,
            calls,
            args.turns,
            outputs,
            probe,
            cpu,
            wall,
            rss_before,
            lag,
            "postgresql" if args.database_url else "sqlite",
        )
        summary["after_hangup"] = after
        summary["fake_providers_cpu_percent"] = round(fakes / wall * 100, 1) if fakes is not None else None
        summary["server_log_tail"] = (
            (directory / "server.log").read_text(errors="replace")[-1500:]
            if summary["turns_answered"] < summary["turns_expected"]
            else ""
        )
        return summary
    finally:
        server.stop()
        await database.drop()


def start_providers(args: argparse.Namespace) -> tuple[subprocess.Popen, dict[str, str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scripts.loadgen.fake_providers",
            "--stt-ms",
            str(args.stt_ms),
            "--llm-ms",
            str(args.llm_ms),
            "--tts-ms",
            str(args.tts_ms),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line:
        raise RuntimeError("the fake providers did not start")
    return process, json.loads(line)


def row(summary: dict[str, Any]) -> str:
    lat, jit, lag = summary["reply_latency_ms"], summary["jitter_ms"], summary["event_loop_lag_ms"]
    gen_late = (
        max((g.get("tick_late_ms", {}).get("p99") or 0) for g in summary["generators"])
        if summary["generators"]
        else None
    )
    wedged = " WEDGED" if summary.get("after_hangup", {}).get("wedged") else ""
    return (
        f"| {summary['calls']}{wedged} | {summary['turns_answered']} / {summary['turns_expected']} | "
        f"{lat['p50']} / {lat['p99']} | {summary['stalls']} ({summary['max_stall_ms']}) | "
        f"{jit['p50']} / {jit['p99']} | {summary['server_cpu_percent']} % | "
        f"{summary.get('server_cpu_ms_per_call_second')} | {summary['rss_per_call_mb']} | "
        f"{lag['p99']} / {lag['max']} | {summary['healthz_failures']} | {gen_late} |"
    )


HEADER = (
    "| calls | turns answered | reply p50 / p99 ms | stalls (max ms) | jitter p50 / p99 ms | server CPU | "
    "server CPU ms per call-s | RSS MB/call | loop lag p99 / max ms | healthz failed | "
    "generator tick late p99 ms |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median answered turns, then median p99 latency: a real run, not a blend."""
    ranked = sorted(runs, key=lambda r: (r["turns_answered"], -(r["reply_latency_ms"]["p99"] or 1e9)))
    return ranked[len(ranked) // 2]


async def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    sweep = [int(n) for n in args.calls.split(",")]
    providers_process = None
    summaries: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as work_dir:
        work = Path(tempfile.mkdtemp(prefix="bench-calls-logs-")) if args.keep_logs else Path(work_dir)
        if args.keep_logs:
            print(f"server logs under {work}", file=sys.stderr)
        phrases = write_phrases(work)
        try:
            providers = None
            if args.mode == "remote":
                providers_process, providers = start_providers(args)
            if not args.json:
                print(
                    f"mode {args.mode}, server {args.server_dir}, "
                    f"{'PostgreSQL' if args.database_url else 'SQLite'}, {args.rounds} round(s) per N"
                )
                print(HEADER, flush=True)
            for calls in sweep:
                runs = []
                for _ in range(args.rounds):
                    summary = await one_run(
                        args,
                        calls,
                        phrases,
                        providers,
                        work,
                        providers_process.pid if providers_process is not None else None,
                    )
                    runs.append(summary)
                    if not args.json:
                        print(row(summary), flush=True)
                summaries.append({"calls": calls, "median": median_of(runs), "runs": runs})
        finally:
            if providers_process is not None:
                providers_process.stdin.close()
                try:
                    providers_process.wait(10)
                except subprocess.TimeoutExpired:
                    providers_process.kill()
    return summaries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", default="1,25,50", help="comma-separated concurrent call counts (a sweep)")
    parser.add_argument("--mode", choices=("offline", "remote"), default="remote")
    parser.add_argument("--rounds", type=int, default=1, help="runs per N (the median is reported)")
    parser.add_argument("--database-url", help="postgres://... on loopback: each run creates its own database")
    parser.add_argument("--server-python", default=sys.executable, help="the interpreter of the checkout to serve")
    parser.add_argument("--server-dir", default=str(ROOT), help="the checkout whose `voiceai serve` is measured")
    parser.add_argument("--turns", type=int, default=3, choices=(1, 2, 3), help="caller turns per call")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which the callers connect")
    parser.add_argument("--seconds", type=float, help="hard stop of the callers per run (default ramp + 90)")
    parser.add_argument("--reply-timeout", type=float, default=8.0, help="a reply later than this is unanswered")
    parser.add_argument(
        "--frame-ms",
        type=int,
        default=20,
        choices=(20, 40, 100),
        help="caller audio per media frame (Exotel's own stream sends about 100 ms)",
    )
    parser.add_argument("--generators", type=int, help=f"caller processes (default one per {CALLS_PER_GENERATOR})")
    parser.add_argument("--streaming", action="store_true", help="remote: Sarvam over its streaming sockets")
    parser.add_argument("--stt-ms", type=float, default=150)
    parser.add_argument("--llm-ms", type=float, default=350)
    parser.add_argument("--tts-ms", type=float, default=200)
    parser.add_argument("--server-log-level", default="WARNING")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="VOICEAI_X=VALUE",
        help="a setting for the server (repeatable), e.g. VOICEAI_STT_DECODERS=4",
    )
    parser.add_argument(
        "--turn-taking",
        type=json.loads,
        default=None,
        help='the flow\'s config.turn_taking as JSON, e.g. \'{"vad": "webrtc", "noise_suppression": false}\' '
        "(servers from before issue 15 ignore it)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep each run's server.log and say where")
    parser.add_argument("--json", action="store_true", help="print the full results as JSON instead of a table")
    args = parser.parse_args()
    summaries = asyncio.run(bench(args))
    if args.json:
        print(json.dumps(summaries, indent=2))
    elif args.rounds > 1:
        print("\nmedian run per N:\n" + HEADER)
        for summary in summaries:
            print(row(summary["median"]))


if __name__ == "__main__":
    main()
