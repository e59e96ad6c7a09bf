"""Dialer fixtures: a fake clock, a fake carrier that records dials, and a campaign service plus scheduler
bound to them on the shared test server's platform."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from app.calls.contract import CallEnd
from app.db.models import Call, DialJob
from app.dialer.campaigns import CampaignService
from app.dialer.scheduler import DialerScheduler
from app.telephony.base import DialRequest, DialResult
from app.telephony.carriers import CarrierDirectory


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class FakeCarrier:
    dials: list[DialRequest] = field(default_factory=list)
    fail_reason: str | None = None

    async def place_call(self, request: DialRequest) -> DialResult:
        self.dials.append(request)
        if self.fail_reason:
            return DialResult("failed", reason=self.fail_reason)
        return DialResult("queued", provider_call_id=secrets.token_hex(8))

    async def aclose(self) -> None:
        return None


@dataclass
class Dialer:
    clock: FakeClock
    carrier: FakeCarrier
    campaigns: CampaignService
    scheduler: DialerScheduler
    reporter: Any

    async def tick(self) -> int:
        placed = await self.scheduler.tick()
        await self.scheduler.wait_for_dials()
        return placed

    async def end_open_calls(
        self, outcome: str = "connected", end_reason: str = "caller_hangup", only: int | None = None
    ) -> int:
        """Ends the dialled calls still open, as a carrier callback or the voice session would."""
        ids = (
            await Call.filter(id__in=[r.call_id for r in self.carrier.dials], ended_at__isnull=True)
            .order_by("created_at")
            .values_list("id", flat=True)
        )
        ids = list(ids)[:only] if only is not None else list(ids)
        for call_id in ids:
            await self.reporter.ended(
                call_id, CallEnd(outcome=outcome, ended_at=self.clock(), duration_seconds=5, end_reason=end_reason)
            )
        return len(ids)


def make_dialer(
    server, clock: FakeClock, carrier: FakeCarrier | None = None, *, organisation_id: str, **settings: Any
) -> Dialer:
    platform = server.platform
    config = replace(
        server.settings,
        **{"dialer_calls_per_second": 100.0, "dialer_flow_concurrency": 50, "dialer_org_concurrency": 100, **settings},
    )
    carrier = carrier or FakeCarrier()
    carriers = CarrierDirectory(platform.integrations, "simulator", config.public_url)
    carriers.override = carrier
    campaigns = CampaignService(platform.outbox, config, clock=clock)
    scheduler = platform.scoped_dialer([organisation_id], settings=config, campaigns=campaigns, carriers=carriers)
    return Dialer(clock, carrier, campaigns, scheduler, platform.reporter)


@pytest.fixture
def clock() -> FakeClock:
    # a Tuesday, 10:00 in New York (EDT)
    return FakeClock(datetime(2027, 5, 11, 14, 0, tzinfo=UTC))


@pytest_asyncio.fixture
async def agent(client) -> dict[str, Any]:
    created = await client.post(
        "/agents", json={"name": "Aria", "role": "Sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}}
    )
    assert created.status == 201, created.body
    return created.body


async def make_flow(client, agent, **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "outbound",
        "name": "Reactivation",
        "provider": "sarvam",
        "voice_agent_id": agent["uuid"],
        "branches": ["Region:West", "Segment:Lapsed"],
        "status": "active",
        "time_window": {"start": "09:00", "end": "18:00", "timezone": "America/New_York"},
        **fields,
    }
    created = await client.post("/flows", json=body)
    assert created.status == 201, created.body
    return created.body


async def make_customers(client, count: int, tags: list[str]) -> list[dict[str, Any]]:
    records = [
        {"name": f"Customer {index}", "phone": f"+9198{secrets.randbelow(10**8):08d}", "tags": tags}
        for index in range(count)
    ]
    # phones must be unique per organisation
    seen: set[str] = set()
    for record in records:
        while record["phone"] in seen:
            record["phone"] = f"+9198{secrets.randbelow(10**8):08d}"
        seen.add(record["phone"])
    customers = []
    for record in records:
        created = await client.post("/customers", json=record)
        assert created.status == 201, created.body
        customers.append(created.body)
    return customers


async def job_statuses(flow_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in await DialJob.filter(campaign__flow_id=flow_id).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts
