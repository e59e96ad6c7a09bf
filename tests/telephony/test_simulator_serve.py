"""`voiceai serve --port N` without VOICEAI_PUBLIC_URL: the in-process simulated carrier dials the port the
server listens on, so a campaign's calls connect and the campaign completes; and the server warns that the
public URL (the default, port 8000) is not itself, since Exotel calls would need it."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time

import aiohttp
import pytest

from tests.cli_process import api_key, environment, serve

# These start their own `voiceai serve` on its own SQLite file (tests/cli_process.py), whatever the suite's
# backend: one pass runs them; the PostgreSQL pass would repeat them unchanged.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("VOICEAI_TEST_DATABASE_URL")), reason="own SQLite server: run once, on the SQLite pass"
)

API = "/api/voice"
QUICK = {
    "VOICEAI_SIMULATOR_REALTIME": "0.3",
    "VOICEAI_DIALER_POLL_SECONDS": "0.2",
    "VOICEAI_DIALER_CALLS_PER_SECOND": "5",
    "VOICEAI_DIALER_MAX_ATTEMPTS": "1",
    "VOICEAI_RATE_LIMITS": "off",
    "VOICEAI_WEBHOOK_WORKER": "off",
    "VOICEAI_LOG_LEVEL": "WARNING",
}


async def _call(http: aiohttp.ClientSession, url: str, key: str, method: str, path: str, **options):
    async with http.request(method, url + API + path, headers={"Authorization": f"Bearer {key}"}, **options) as answer:
        body = await answer.json(content_type=None)
        assert answer.status < 400, (method, path, answer.status, body)
        return body


async def test_a_campaign_on_a_server_started_on_another_port_completes(tmp_path):
    env = environment(tmp_path, **QUICK)
    key = await api_key(env)
    async with serve(env, tmp_path) as served, aiohttp.ClientSession() as http:
        assert "does not point at this server" in served.output() and "VOICEAI_PUBLIC_URL" in served.output()
        agent = await _call(
            http,
            served.url,
            key,
            "POST",
            "/agents",
            json={"name": "Aria", "role": "Sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}},
        )
        flow = await _call(
            http,
            served.url,
            key,
            "POST",
            "/flows",
            json={
                "kind": "outbound",
                "name": "Spring",
                "provider": "sarvam",
                "voice_agent_id": agent["uuid"],
                "branches": ["Demo:Spring"],
                "status": "active",
            },
        )
        phones = [f"+91980000{n:04d}" for n in range(4)]
        await _call(
            http,
            served.url,
            key,
            "POST",
            "/customers/bulk",
            json={
                "customers": [
                    {"name": f"Asha {n}", "phone": phone, "tags": ["Demo:Spring"]} for n, phone in enumerate(phones)
                ]
            },
        )
        launched = await _call(http, served.url, key, "POST", f"/flows/{flow['uuid']}/launch")
        assert launched["customers_queued"] == 4
        deadline = time.monotonic() + 150
        while True:
            calls = (await _call(http, served.url, key, "GET", "/calls", params={"flow_uuid": flow["uuid"]}))["calls"]
            if len(calls) == 4 and all(call["ended_at"] for call in calls):
                break
            assert time.monotonic() < deadline, calls
            await asyncio.sleep(0.5)
        outcomes = [call["outcome"] for call in calls]
        assert "failed" not in outcomes, calls
        assert any(call["started_at"] for call in calls), calls  # the voice socket was reached
        for _ in range(50):  # the dialer's next ticks settle the jobs and complete the campaign
            with sqlite3.connect(tmp_path / "voiceai.db") as db:
                status = db.execute("SELECT status FROM campaigns WHERE flow_id = ?", (flow["uuid"],)).fetchone()
            if status == ("completed",):
                break
            await asyncio.sleep(0.2)
        assert status == ("completed",)


async def test_no_warning_when_the_public_url_is_this_server(tmp_path):
    from tests.conftest import free_port

    port = free_port()
    env = environment(tmp_path, VOICEAI_PUBLIC_URL=f"http://localhost:{port}", VOICEAI_DIALER="off")
    async with serve(env, tmp_path, port) as served:
        assert "does not point at this server" not in served.output()
    env = environment(tmp_path, VOICEAI_TELEPHONY="simulator", VOICEAI_DIALER="off")
    async with serve(env, tmp_path) as served:  # the simulated carrier alone never uses the public URL
        assert "does not point at this server" not in served.output()
