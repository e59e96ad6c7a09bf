"""`voiceai serve` as a real subprocess for tests that kill it: its own fresh database (a SQLite file, or a new
PostgreSQL database when VOICEAI_TEST_DATABASE_URL names one), a campaign set up over HTTP, and plain SQL to
read what happened (the suite's own Tortoise connection points at another database)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API = "/api/voice"


async def fresh_database(tmp_path: Path) -> AsyncIterator[str]:
    configured = os.environ.get("VOICEAI_TEST_DATABASE_URL")
    if configured and configured.startswith(("postgres://", "postgresql://")):
        from tests.conftest import _create_postgres_database

        url, drop = await _create_postgres_database(configured)
        try:
            yield url
        finally:
            await drop()
        return
    yield f"sqlite://{tmp_path}/served.db"


async def query(database_url: str, sql: str, *args: Any) -> list[tuple]:
    """Rows of one statement (`?` placeholders, rewritten to `$n` for PostgreSQL)."""
    if database_url.startswith("sqlite://"):
        with sqlite3.connect(database_url.removeprefix("sqlite://"), timeout=10) as connection:
            return connection.execute(sql, args).fetchall()
    import asyncpg

    for number in range(1, sql.count("?") + 1):
        sql = sql.replace("?", f"${number}", 1)
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        return [tuple(row) for row in await connection.fetch(sql, *args)]
    finally:
        await connection.close()


@dataclass
class Served:
    """One `voiceai serve` command line (possibly several workers) on a fixed port."""

    database_url: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    process: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": ROOT,
            "VOICEAI_DATABASE_URL": self.database_url,
            "VOICEAI_DATA_DIR": str(self.data_dir),
            "VOICEAI_SECRET_KEY": "served-test-secret-key",
            "VOICEAI_PUBLIC_URL": self.base_url,
            "VOICEAI_TELEPHONY": "simulator",
            "VOICEAI_RATE_LIMITS": "off",
            "VOICEAI_WEBHOOK_WORKER": "off",
            "VOICEAI_LOG_LEVEL": "WARNING",
            **self.env,
        }

    async def start(self, timeout: float = 60) -> Served:
        log = open(self.data_dir / f"serve-{self.port}-{time.monotonic_ns()}.log", "wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--port",
            str(self.port),
            *self.args,
            cwd=self.data_dir,
            env=self.environment(),
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(f"voiceai serve exited with {self.process.returncode}: {self.logs()}")
                try:
                    async with http.get(self.base_url + "/healthz") as answer:
                        if answer.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError(f"voiceai serve did not answer /healthz: {self.logs()}")

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-4000:] for path in sorted(self.data_dir.glob("serve-*.log")))

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """The whole process group: with --workers the supervisor and every worker die together."""
        if self.process is not None and self.process.returncode is None:
            os.killpg(self.process.pid, sig)

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.kill(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.kill(signal.SIGKILL)
            await self.process.wait()


async def create_organisation(served: Served) -> str:
    """`voiceai org create` against the served database; answers its API key."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "org",
        "create",
        "Crash test",
        cwd=served.data_dir,
        env=served.environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return json.loads(out)["api_key"]


async def api(http: aiohttp.ClientSession, served: Served, key: str, method: str, path: str, **options: Any) -> Any:
    async with http.request(
        method, served.base_url + API + path, headers={"Authorization": f"Bearer {key}"}, **options
    ) as answer:
        body = await answer.json(content_type=None)
        assert answer.status < 300, (answer.status, body)
        return body


async def launch_campaign(http: aiohttp.ClientSession, served: Served, key: str, customers: int) -> dict[str, Any]:
    """An outbound flow with an agent, `customers` customers, a hook on campaign.completed, launched."""
    await api(
        http,
        served,
        key,
        "POST",
        "/webhooks",
        json={"name": "n", "url": "https://hooks.example.com/x", "events": ["campaign.completed"]},
    )
    agent = await api(
        http,
        served,
        key,
        "POST",
        "/agents",
        json={"name": "Aria", "role": "Outbound sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}},
    )
    flow = await api(
        http,
        served,
        key,
        "POST",
        "/flows",
        json={
            "kind": "outbound",
            "name": "Crash campaign",
            "provider": "sarvam",
            "voice_agent_id": agent["uuid"],
            "branches": ["Crash"],
            "status": "active",
            "config": {"persona_prompt": "You are Aria.", "dialer": {"max_attempts": 1}},
        },
    )
    records = [
        {
            "name": f"Customer {n}",
            "phone": f"+91980000{n:04d}",
            "tags": ["Crash"],
            "preferred_language": "en",
            "metadata": {"product_interest": "desk"},
        }
        for n in range(customers)
    ]
    written = await api(http, served, key, "POST", "/customers/bulk", json={"customers": records})
    assert not written.get("errors"), written
    launched = await api(http, served, key, "POST", f"/flows/{flow['uuid']}/launch")
    assert launched["customers_queued"] == customers, launched
    return flow
