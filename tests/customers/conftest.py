"""Customer fixtures: spec-shaped records and a way to record calls the way the calls service will."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.db.models import Call, Customer
from app.ids import new_id

JORDAN: dict[str, Any] = {
    "name": "Jordan Ellis",
    "phone": "+14155550192",
    "email": "jordan@example.com",
    "tags": ["Region:West", "Segment:Lapsed"],
    "preferred_language": "en",
    "metadata": {"product_interest": "Standing Desk Pro", "cart_value": 850, "lead_type": "cart_abandon"},
}
CUSTOMER_KEYS = {
    "uuid",
    "name",
    "phone",
    "email",
    "tags",
    "preferred_language",
    "metadata",
    "total_calls",
    "inbound_calls",
    "outbound_calls",
    "last_contact",
    "created_at",
}


def phone(n: int) -> str:
    """Valid, distinct Indian mobile numbers."""
    return f"+9198{n:08d}"


async def stored_customers(organisation_id: str) -> int:
    return await Customer.filter(organisation_id=organisation_id).count()


async def record_call(
    server,
    organisation_id: str,
    customer_id: str,
    call_type: str = "outbound",
    at: datetime | None = None,
    **fields: Any,
) -> Call:
    at = at or datetime.now(UTC)
    call = await Call.create(
        id=new_id("cal"),
        organisation_id=organisation_id,
        customer_id=customer_id,
        call_type=call_type,
        created_at=at,
        started_at=at,
        **fields,
    )
    await server.platform.customers.record_call_for_customer(customer_id, call_type, at)
    return call


@pytest.fixture
def jordan() -> dict[str, Any]:
    return {**JORDAN, "tags": list(JORDAN["tags"]), "metadata": dict(JORDAN["metadata"])}
