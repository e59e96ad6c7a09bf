"""Flow fixtures: the spec's example campaign, an agent of the caller's organisation."""

from __future__ import annotations

import secrets
from typing import Any

import pytest_asyncio

SPRING: dict[str, Any] = {
    "kind": "outbound",
    "name": "Spring Reactivation Campaign",
    "provider": "sarvam",
    "phone_number": "+15550010000",
    "branches": ["Region:West", "Segment:Lapsed"],
    "start_date": "2026-05-01",
    "end_date": "2026-05-31",
    "time_window": {"start": "09:00", "end": "18:00", "timezone": "America/New_York"},
    "config": {"persona_prompt": "You are Aria...", "guardrails": ["no_price_fabrication"]},
    "status": "draft",
}
FLOW_KEYS = {
    "uuid",
    "kind",
    "name",
    "status",
    "voice_agent_id",
    "phone_number",
    "script_id",
    "branches",
    "start_date",
    "end_date",
    "time_window",
    "config",
    "created_at",
}


@pytest_asyncio.fixture
async def agent(client) -> dict[str, Any]:
    created = await client.post(
        "/agents", json={"name": "Aria", "role": "Sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}}
    )
    return created.body


@pytest_asyncio.fixture
async def spring(agent) -> dict[str, Any]:
    return {**SPRING, "voice_agent_id": agent["uuid"]}


def fresh_line() -> str:
    """Inbound lines are unique across all organisations, and the test database outlives a test."""
    return f"+9197{secrets.randbelow(10**8):08d}"
