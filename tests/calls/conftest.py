"""Calls are produced the way the voice pipeline will produce them: through the platform's CallReporter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio

from app.calls.contract import CallAnalysis, CallEnd, CallStart, CallType, Speaker
from app.db.models import Call


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def start_call(
    platform,
    organisation_id: str,
    *,
    call_type: str = "outbound",
    flow_id: str | None = None,
    customer_id: str | None = None,
    to_number: str = "+14155550192",
    **extra: Any,
) -> str:
    return await platform.reporter.started(
        CallStart(
            organisation_id=organisation_id,
            call_type=CallType(call_type),
            flow_id=flow_id,
            voice_agent_id=None,
            customer_id=customer_id,
            from_number="+15550010000",
            to_number=to_number,
            started_at=now(),
            **extra,
        )
    )


async def finished_call(
    platform,
    organisation_id: str,
    *,
    outcome: str = "connected",
    sentiment: str | None = "positive",
    duration: int = 113,
    created_at: datetime | None = None,
    transcript: bool = True,
    **options: Any,
) -> str:
    call_id = await start_call(platform, organisation_id, **options)
    if transcript:
        await platform.reporter.transcript(call_id, Speaker.AGENT, "Hi, good morning! This is Aria.", 0.0)
        await platform.reporter.transcript(call_id, Speaker.CUSTOMER, "Oh hey, yes I was looking at that desk.", 6.2)
    await platform.reporter.ended(call_id, CallEnd(outcome=outcome, ended_at=now(), duration_seconds=duration))
    await platform.reporter.analysed(
        call_id, CallAnalysis(summary="Interested.", sentiment=sentiment, key_details={"extraction": {"intent": 88}})
    )
    if created_at is not None:
        await Call.filter(id=call_id).update(created_at=created_at)
    return call_id


@pytest_asyncio.fixture
async def platform(server):
    return server.platform


def days_ago(days: int) -> datetime:
    return now() - timedelta(days=days)
