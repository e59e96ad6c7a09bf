"""A `voiceai serve` killed with SIGKILL in the middle of a simulated campaign, then started again: the calls
the dead process held end (`failed`, `server_restart`) within ~30 s, because its lease lapsed and the new
process (a new identity) sweeps them; no customer is dialled twice, every queued customer is called, and
`campaign.completed` fires once. Runs on the suite's backend (SQLite, or PostgreSQL via
VOICEAI_TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest_asyncio

from tests.served import Served, create_organisation, fresh_database, launch_campaign, query

CUSTOMERS = 10
LEASE_SECONDS = 8.0
BOUND_SECONDS = 30.0
SERVE_ENV = {
    "VOICEAI_DIALER_POLL_SECONDS": "0.2",
    "VOICEAI_DIALER_CALLS_PER_SECOND": "4",
    "VOICEAI_DIALER_FLOW_CONCURRENCY": "4",
    "VOICEAI_DIALER_ORG_CONCURRENCY": "4",
    "VOICEAI_SIMULATOR_REALTIME": "0.5",
    "VOICEAI_SIMULATOR_SEED": "3",
    "VOICEAI_LEASE_SECONDS": str(LEASE_SECONDS),
}


@pytest_asyncio.fixture
async def database(tmp_path):
    async for url in fresh_database(tmp_path):
        yield url


async def _wait_for(condition, timeout: float, every: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await condition()
        if value:
            return value
        await asyncio.sleep(every)
    return await condition()


async def test_a_killed_server_s_calls_end_quickly_and_the_campaign_completes_after_a_restart(database, tmp_path):
    first = await Served(database, tmp_path, env=SERVE_ENV).start()
    second = Served(database, tmp_path, port=first.port, env=SERVE_ENV)
    try:
        key = await create_organisation(first)
        async with aiohttp.ClientSession() as http:
            flow = await launch_campaign(http, first, key, CUSTOMERS)

        async def talking():
            rows = await query(
                database,
                "SELECT id FROM calls WHERE flow_id = ? AND status = 'in-progress' AND ended_at IS NULL",
                flow["uuid"],
            )
            return len(rows) >= 2

        assert await _wait_for(talking, 90), first.logs()

        first.kill()  # SIGKILL: no shutdown, the lease is never released
        killed = time.monotonic()
        await first.process.wait()
        held = [
            row[0]
            for row in await query(
                database, "SELECT id FROM calls WHERE flow_id = ? AND ended_at IS NULL", flow["uuid"]
            )
        ]
        owners = {
            row[0] for row in await query(database, "SELECT DISTINCT owner FROM calls WHERE flow_id = ?", flow["uuid"])
        }
        assert held and None not in owners and len(owners) == 1, (held, owners)

        await second.start()

        async def held_ended():
            marks = ",".join("?" * len(held))
            rows = await query(
                database, f"SELECT COUNT(*) FROM calls WHERE id IN ({marks}) AND ended_at IS NULL", *held
            )
            return rows[0][0] == 0

        assert await _wait_for(held_ended, BOUND_SECONDS + 5), second.logs()
        took = time.monotonic() - killed
        logging.getLogger(__name__).info("the killed process's calls ended %.1f s after SIGKILL", took)
        assert took <= BOUND_SECONDS, f"the dead process's calls took {took:.1f} s to end"
        marks = ",".join("?" * len(held))
        ends = await query(
            database, f"SELECT status, outcome, end_reason, owner FROM calls WHERE id IN ({marks})", *held
        )
        assert all(row[:3] == ("failed", "failed", "server_restart") for row in ends), ends
        assert all(row[3] not in owners for row in ends), ends  # taken over by the new identity

        async def completed():
            rows = await query(database, "SELECT status FROM campaigns WHERE flow_id = ?", flow["uuid"])
            return rows and rows[0][0] == "completed"

        assert await _wait_for(completed, 150, every=0.5), second.logs()
    finally:
        first.kill()
        await second.stop()

    per_customer = await query(
        database, "SELECT customer_id, COUNT(*) FROM calls WHERE flow_id = ? GROUP BY customer_id", flow["uuid"]
    )
    assert len(per_customer) == CUSTOMERS, per_customer  # every queued customer was called
    assert all(count == 1 for _, count in per_customer), per_customer  # and none twice
    jobs = await query(database, "SELECT status FROM dial_jobs")
    assert len(jobs) == CUSTOMERS and all(status in ("done", "failed") for (status,) in jobs), jobs
    assert await query(database, "SELECT COUNT(*) FROM calls WHERE ended_at IS NULL") == [(0,)]
    events = await query(database, "SELECT COUNT(*) FROM webhook_deliveries WHERE event_type = 'campaign.completed'")
    assert events == [(1,)]
    # the killed process's lease row stays (lapsed); the restarted one released its own on SIGTERM
    assert {row[0] for row in await query(database, "SELECT id FROM instance_leases")} == owners
