"""One `voiceai serve` under test, as a user deploys it: its own process, a fresh data directory and
database, rate limits off, set up through its CLI and REST API only, so any checkout can be started
(`python` and `cwd` name that checkout's interpreter and tree)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

API = "/api/voice"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_only(url: str) -> None:
    host = url.split("://", 1)[-1].split("@")[-1].split("/")[0].rsplit(":", 1)[0]
    if host not in ("127.0.0.1", "localhost", "[::1]"):
        raise SystemExit(f"only loopback addresses: {url}")


@dataclass
class Database:
    """A SQLite file in the run's directory, or a PostgreSQL database created for the run and dropped after."""

    url: str
    admin_url: str | None = None
    name: str | None = None

    @classmethod
    async def create(cls, directory: Path, postgres_url: str | None) -> Database:
        if not postgres_url:
            return cls(f"sqlite://{directory}/bench.db")
        import asyncpg

        loopback_only(postgres_url)
        name = f"voiceai_bench_calls_{secrets.token_hex(4)}"
        admin = postgres_url.replace("postgres://", "postgresql://", 1)
        connection = await asyncpg.connect(admin)
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()
        return cls(f"{postgres_url.rsplit('/', 1)[0]}/{name}", admin, name)

    async def drop(self) -> None:
        if self.admin_url is None:
            return
        import asyncpg

        connection = await asyncpg.connect(self.admin_url)
        await connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        await connection.close()


@dataclass
class Server:
    python: str
    cwd: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [self.python, "-m", "app.cli", *args],
            cwd=self.cwd,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.stdout

    async def start(self, log_path: Path, timeout: float = 90) -> None:
        self.log_path = log_path
        log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [self.python, "-m", "app.cli", "serve", "--port", str(self.port)],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"voiceai serve exited: {log_path.read_text()[-2000:]}")
                try:
                    async with http.get(self.base + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as answer:
                        if answer.status == 200:
                            return
                except (TimeoutError, aiohttp.ClientError):
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError("voiceai serve did not answer /healthz in time")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s: a wedged server must not outlive the bench."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


async def setup_line(base: str, api_key: str, turn_taking: dict[str, Any] | None = None) -> str:
    """An agent, a script and an active inbound flow through the REST API; returns the flow's number."""
    headers = {"Authorization": f"Bearer {api_key}"}
    async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=30)) as http:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            async with http.post(base + API + path, json=body) as answer:
                created = await answer.json(content_type=None)
                if answer.status != 201:
                    raise RuntimeError(f"POST {path}: {answer.status} {created}")
                return created

        agent = await post(
            "/agents",
            {
                "name": "Aria",
                "role": "Support",
                "description": "Bench agent",
                "avatar_color": "#6366f1",
                "avatar_initials": "AR",
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
                "opening_line": "Hello, thanks for calling Luminary Home. How can I help you today?",
                "faq": [{"question": "Tell me about the spring sale", "answer": "The spring sale runs until Sunday."}],
                "closing_line": "Thanks for calling.",
            },
        )
        number = f"+9180{secrets.randbelow(10**8):08d}"
        await post(
            "/flows",
            {
                "kind": "inbound",
                "name": "Help line",
                "provider": "sarvam",
                "status": "active",
                "voice_agent_id": agent["uuid"],
                "script_id": script["uuid"],
                "phone_number": number,
                "config": {
                    "persona_prompt": "You are Aria, a helpful support agent.",
                    **({"turn_taking": turn_taking} if turn_taking is not None else {}),
                },
            },
        )
    return number


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (CPU work may run in child processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, stack = [], [pid]
    while stack:
        current = stack.pop()
        tree.append(current)
        stack.extend(children.get(current, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def loop_lag_buckets(metrics_text: str) -> dict[float, float] | None:
    """Cumulative counts of `voiceai_event_loop_lag_seconds` by upper bound, when the server exports it."""
    buckets: dict[float, float] = {}
    for line in metrics_text.splitlines():
        if line.startswith("voiceai_event_loop_lag_seconds_bucket{"):
            labels, value = line.rsplit(" ", 1)
            bound = labels.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = buckets.get(
                float("inf") if bound == "+Inf" else float(bound), 0.0
            ) + float(value)
    return buckets or None


def lag_from_buckets(before: dict[float, float], after: dict[float, float]) -> dict[str, Any]:
    """p99 and max (as bucket upper bounds, ms) of the ticks observed between two scrapes."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0
    if not total:
        return {"source": "metrics", "n": 0, "p99": None, "max": None}
    p99 = next(b for b, c in zip(bounds, counts, strict=False) if c >= 0.99 * total)
    top = next(b for b, c in zip(bounds, counts, strict=False) if c >= total)
    as_ms = lambda b: None if b == float("inf") else round(b * 1000, 1)  # noqa: E731
    return {"source": "metrics", "n": int(total), "p99": as_ms(p99), "max": as_ms(top), "note": "bucket upper bounds"}


def json_line(text: str) -> dict[str, Any]:
    return json.loads(text.strip().splitlines()[-1])
