"""Tool fixtures: an agent and a flow of the caller's organisation, and a valid tool definition."""

from __future__ import annotations

from typing import Any

import pytest_asyncio

ORDER_STATUS: dict[str, Any] = {
    "name": "order_status",
    "description": "Look up the status of the caller's order by its number.",
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "string", "pattern": "^[0-9]{3,10}$"}},
        "required": ["order_id"],
        "additionalProperties": False,
    },
    "method": "POST",
    "url": "https://93.184.216.34/orders/status",  # a public address: no DNS needed
    "headers": {"Authorization": "Bearer crm-secret-token-1234"},
    "timeout_seconds": 4,
    "speak_while_waiting": "One moment while I check your order.",
}


@pytest_asyncio.fixture
async def agent(client) -> dict[str, Any]:
    return (await client.post("/agents", json={"name": "Aria", "role": "Support"})).body


@pytest_asyncio.fixture
async def flow(client, agent) -> dict[str, Any]:
    created = await client.post(
        "/flows", json={"kind": "outbound", "name": "Orders", "provider": "sarvam", "voice_agent_id": agent["uuid"]}
    )
    assert created.status == 201, created.body
    return created.body
