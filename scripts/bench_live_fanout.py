"""Benchmark: live fan-out of one call's events to 500 subscribers (on the live WebSocket, the GraphQL
`callEvents` subscription, or half and half), in process and through Redis.

The server (and the CallReporter that publishes) runs in this process; the subscribers run in a child
process, so receiving does not compete with publishing for one event loop. Each transcript event carries
its publish time (wall clock, same machine); the child records receipt minus publish for every
subscriber and event. Transcript events are appended to the call's event log directly (number, keep for
replay, publish), so the figure is the fan-out alone; `--publish reporter` goes through the
CallReporter, which first persists the turn in the database (earlier figures were measured that way).

The default client is lean: one asyncio Protocol per socket that parses WebSocket frames in
`data_received` and stamps the receipt time there, leaving JSON decoding until after the run, so the
client's own per-message cost (reported as CPU time per receipt) stays small next to the server's.
`--client aiohttp` is the earlier client (a task per socket, JSON decoded on receipt).

`--paths shared,alone` runs the fan-out hub with shared per-event encodings (`shared`, the default)
and the earlier per-subscriber path (`alone`: own bus subscription, own encoding, Strawberry's
per-result pipeline) one after the other in the same invocation, `--rounds` times interleaved, and
prints the median of each path over the rounds and their ratio. The machine is shared, so one round's
p99 mostly says how busy it was; compare paths within one invocation.

    python scripts/bench_live_fanout.py [--subscribers 500] [--events 20] [--interval 0.5] [--kinds mixed]
        [--redis-url URL] [--paths shared,alone] [--client lean|aiohttp] [--loop uvloop|asyncio]
        [--publish log|reporter] [--rounds N] [--gc-freeze]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import resource
import socket
import statistics
import struct
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GRAPHQL_QUERY = "subscription($id: ID!) { callEvents(callUuid: $id) { type event } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class GcPauses:
    """Garbage-collector pauses of this process while it is installed: count and longest, per generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._observe)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._observe)

    def _observe(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def summary(self) -> dict:
        return {
            f"gen{generation}": {"count": len(durations), "max_ms": round(max(durations) * 1000, 1)}
            for generation in (0, 1, 2)
            if (durations := [d for g, d in self.pauses if g == generation])
        }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---- child: the subscribers ----


class LeanSocket(asyncio.Protocol):
    """A minimal WebSocket client: handshake, masked text frames out, unmasked frames in, receipts stamped."""

    def __init__(self, path: str, port: int, subprotocol: str | None, on_message) -> None:
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            + (f"Sec-WebSocket-Protocol: {subprotocol}\r\n" if subprotocol else "")
            + "\r\n"
        ).encode()
        self._buffer = bytearray()
        self._upgraded = False
        self._on_message = on_message
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self._request)

    def send_text(self, text: str, opcode: int = 0x1) -> None:
        data = text.encode()
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(data))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.transport.write(header + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buffer = self._buffer
        buffer += data
        if not self._upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(RuntimeError(bytes(buffer[:end]).decode()))
                return
            del buffer[: end + 4]
            self._upgraded = True
            self.opened.set_result(None)
        while len(buffer) >= 2:
            opcode, length, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length, start = struct.unpack_from("!H", buffer, 2)[0], 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length, start = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < start + length:
                return
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            if opcode == 0x1:
                self._on_message(self, now, payload)
            elif opcode == 0x9:
                self.send_text(payload.decode(), opcode=0xA)
            elif opcode == 0x8:
                self.transport.close()

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before the upgrade"))
        if not self.closed.done():
            self.closed.set_result(None)


async def lean_subscriber(port, token, call_id, use_ws, receipts, ready) -> None:
    loop = asyncio.get_running_loop()
    state = {"ready": False}

    def on_message(sock: LeanSocket, now: float, payload: bytes) -> None:
        if not use_ws:
            if payload.startswith(b'{"type":"connection_ack"'):
                sock.send_text(
                    json.dumps(
                        {
                            "id": "1",
                            "type": "subscribe",
                            "payload": {"query": GRAPHQL_QUERY, "variables": {"id": call_id}},
                        }
                    )
                )
                return
            if b'"type":"complete"' in payload[:40]:
                sock.transport.close()
                return
        receipts.append((now, payload))
        if not state["ready"]:
            state["ready"] = True
            ready()

    path = f"/api/voice/ws/live/{call_id}?token={token}" if use_ws else "/api/voice/graphql"
    sock = LeanSocket(path, port, None if use_ws else "graphql-transport-ws", on_message)
    await loop.create_connection(lambda: sock, "127.0.0.1", port)
    await sock.opened
    if not use_ws:
        sock.send_text(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    await sock.closed


async def aiohttp_subscriber(http, port, token, call_id, use_ws, receipts, ready) -> None:
    """The earlier client: a task per socket, every message decoded on receipt."""
    base = f"ws://127.0.0.1:{port}"
    if use_ws:
        async with http.ws_connect(f"{base}/api/voice/ws/live/{call_id}?token={token}") as ws:
            first = True
            async for message in ws:
                receipts.append((time.time(), message.data.encode()))
                json.loads(message.data)
                if first:
                    first = False
                    ready()
        return
    async with http.ws_connect(f"{base}/api/voice/graphql", protocols=("graphql-transport-ws",)) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"token": token}})
        await ws.receive()
        await ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": GRAPHQL_QUERY, "variables": {"id": call_id}}}
        )
        first = True
        async for message in ws:
            now = time.time()
            data = json.loads(message.data)
            if data["type"] == "complete":
                return
            receipts.append((now, message.data.encode()))
            if first:
                first = False
                ready()


def latencies_of(receipts: list[list[tuple[float, bytes]]]) -> tuple[list[float], int]:
    """Receipt minus publish time of every transcript event (live WebSocket or GraphQL `next`), and how
    many subscribers saw anything but every event once, in order (1, 2, ... up to `end`)."""
    latencies, broken = [], 0
    for mine in receipts:
        seqs = []
        for received, payload in mine:
            message = json.loads(payload)
            event = message["payload"]["data"]["callEvents"]["event"] if message.get("type") == "next" else message
            if "seq" not in event:  # keep-alive pings
                continue
            seqs.append(event["seq"])
            if event["type"] == "transcript":
                latencies.append(received - float(event["text"]))
        broken += seqs != list(range(1, len(seqs) + 1)) or not mine or b'"end"' not in mine[-1][1]
    return latencies, broken


async def child(port: int, token: str, call_id: str, subscribers: int, kinds: str, client: str) -> None:
    receipts: list[list[tuple[float, bytes]]] = [[] for _ in range(subscribers)]
    waiting = {"n": subscribers}
    all_ready = asyncio.Event()

    def ready() -> None:
        waiting["n"] -= 1
        if waiting["n"] == 0:
            all_ready.set()

    http = None
    if client == "aiohttp":
        import aiohttp

        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    tasks = []
    for i in range(subscribers):
        use_ws = kinds == "ws" or (kinds == "mixed" and i % 2 == 0)
        if http is None:
            tasks.append(asyncio.create_task(lean_subscriber(port, token, call_id, use_ws, receipts[i], ready)))
        else:
            tasks.append(
                asyncio.create_task(aiohttp_subscriber(http, port, token, call_id, use_ws, receipts[i], ready))
            )
        if i % 50 == 49:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(all_ready.wait(), 60)
    print("ready", flush=True)
    cpu_at_ready, receipts_at_ready = cpu_seconds(), sum(map(len, receipts))
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    cpu = cpu_seconds() - cpu_at_ready
    received = sum(map(len, receipts)) - receipts_at_ready
    if http is not None:
        await http.close()
    latencies, broken = latencies_of(receipts)
    print(json.dumps({"latencies": latencies, "broken": broken, "cpu_s": cpu, "messages": received}), flush=True)


# ---- parent: the server and the publisher ----


async def run_once(args: argparse.Namespace, path: str) -> dict:
    import uvicorn

    from app.calls.contract import CallEnd, CallStart, CallType, Speaker
    from app.config import Settings
    from app.db.setup import close_database, open_database
    from app.main import create_app
    from app.organisations.service import create_organisation
    from app.platform import Platform

    directory = tempfile.mkdtemp()
    url = f"sqlite://{directory}/bench.db"
    await open_database(url)
    port = free_port()
    settings = Settings(
        database_url=url,
        data_dir=Path(directory),
        rate_limits=False,
        secret_key="bench",
        redis_url=args.redis_url,
        public_url=f"http://127.0.0.1:{port}",
    )
    platform = Platform.build(settings)
    platform.call_events.fanout.shared = path == "shared"
    app = create_app(settings, platform=platform, manage_database=False)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws_max_queue=64, ws=args.ws)
    )
    serving = asyncio.create_task(server.serve())
    process = None
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        if args.gc_freeze:  # what app startup could do: leave the startup heap out of every later collection
            gc.collect()
            gc.freeze()
        org = await create_organisation("Bench")
        now = datetime.now(UTC)
        call_id = await platform.reporter.started(
            CallStart(org.organisation.id, CallType.OUTBOUND, None, None, None, "+15550010000", "+14155550192", now)
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--child",
            str(port),
            org.api_key,
            call_id,
            str(args.subscribers),
            args.kinds,
            args.client,
            args.loop,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,
        )
        line = await asyncio.wait_for(process.stdout.readline(), 90)
        assert line.strip() == b"ready", line
        await asyncio.sleep(0.5)
        server_cpu = cpu_seconds()
        with GcPauses() as gc_pauses:
            for i in range(args.events):
                text = f"{time.time():.6f}"
                if args.publish == "reporter":  # persists the turn (a SQLite write) before publishing it
                    await platform.reporter.transcript(call_id, Speaker.AGENT, text, float(i))
                else:
                    await platform.call_events.append(
                        call_id,
                        {
                            "type": "transcript",
                            "call_uuid": call_id,
                            "speaker": "agent",
                            "text": text,
                            "timestamp": float(i),
                        },
                    )
                await asyncio.sleep(args.interval)
            await platform.reporter.ended(call_id, CallEnd("connected", datetime.now(UTC), args.events))
            out, _ = await asyncio.wait_for(process.communicate(), 120)
            server_cpu = cpu_seconds() - server_cpu
        measured = json.loads(out.decode().strip().splitlines()[-1])
        latencies = measured["latencies"]
    finally:  # a failed run still shuts down, so the next run (and the interpreter's exit) is not left hanging
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        server.should_exit = True
        await serving
        await platform.aclose()
        await close_database()
        gc.unfreeze()
    messages = max(1, measured["messages"])
    return {
        "bus": "redis" if args.redis_url else "in-process",
        "path": path,
        "kinds": args.kinds,
        "subscribers": args.subscribers,
        "events": args.events,
        "received": len(latencies),
        "expected": args.subscribers * args.events,
        "subscribers_with_gap_or_duplicate": measured["broken"],
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
        "server_cpu_us_per_message": round(server_cpu / messages * 1e6, 1),
        "client_cpu_us_per_message": round(measured["cpu_s"] / messages * 1e6, 1),
        "server_gc": gc_pauses.summary(),
    }


async def parent(args: argparse.Namespace) -> dict:
    """Runs every path `--rounds` times, interleaved, so a burst of load on the shared machine hits both
    paths alike; prints each run, then per path the median over rounds and the range of p99."""
    paths = args.paths.split(",")
    runs: dict[str, list[dict]] = {path: [] for path in paths}
    for _ in range(args.rounds):
        for path in paths:
            result = await run_once(args, path)
            result["load_avg_1m"] = float(Path("/proc/loadavg").read_text().split()[0])
            runs[path].append(result)
            print(json.dumps(result), flush=True)
    keys = ("p50_ms", "p99_ms", "max_ms", "server_cpu_us_per_message", "client_cpu_us_per_message")
    summary: dict = {}
    for path, results in runs.items():
        summary[path] = {key: round(statistics.median(r[key] for r in results), 2) for key in keys}
        summary[path]["p99_range_ms"] = [min(r["p99_ms"] for r in results), max(r["p99_ms"] for r in results)]
        summary[path]["runs_with_loss_gap_or_duplicate"] = sum(
            r["received"] != r["expected"] or r["subscribers_with_gap_or_duplicate"] > 0 for r in results
        )
    if len(paths) == 2:
        new, old = paths
        summary[f"ratio_{old}_over_{new}"] = {key: round(summary[old][key] / summary[new][key], 2) for key in keys[:3]}
    summary.update(bus="redis" if args.redis_url else "in-process", kinds=args.kinds, rounds=args.rounds)
    print(json.dumps({"summary": summary}), flush=True)
    return summary


def run(main, loop: str) -> None:
    if loop == "uvloop":
        import uvloop

        uvloop.run(main)
    else:
        asyncio.run(main)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        port, token, call_id, subscribers, kinds, client, loop = sys.argv[2:9]
        run(child(int(port), token, call_id, int(subscribers), kinds, client), loop)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--kinds", choices=("mixed", "ws", "graphql"), default="mixed")
    parser.add_argument("--paths", default="shared", help="shared, alone, or shared,alone to compare in one run")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() once the server has started, so full collections skip the startup heap",
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat the paths, interleaved; medians are reported")
    parser.add_argument(
        "--publish",
        choices=("log", "reporter"),
        default="log",
        help="log: time from the event log's append (the publish); reporter: also the transcript's "
        "database write that precedes it",
    )
    parser.add_argument(
        "--ws",
        choices=("auto", "websockets-sansio", "websockets", "wsproto"),
        default="auto",
        help="uvicorn's WebSocket implementation (auto is websockets-sansio when websockets is installed)",
    )
    parser.add_argument("--client", choices=("lean", "aiohttp"), default="lean")
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="uvloop is what `uvicorn.run` picks in production when it is installed",
    )
    run(parent(parser.parse_args()), parser.parse_args().loop)


if __name__ == "__main__":
    main()
