"""Telephony fixtures: a fake Exotel server, an organisation connected to it, and a queued outbound call."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from app.db.models import Call, Customer, Flow
from app.ids import new_id
from tests.fakes.exotel_server import FakeExotel


@pytest_asyncio.fixture
async def fake_exotel() -> AsyncIterator[FakeExotel]:
    fake = await FakeExotel(account_sid="acct_" + secrets.token_hex(4)).start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture
async def connected(client, fake_exotel) -> FakeExotel:
    answer = await client.put(
        "/integrations/telephony/exotel",
        json={
            "api_key": fake_exotel.api_key,
            "api_token": fake_exotel.api_token,
            "account_sid": fake_exotel.account_sid,
            "subdomain": fake_exotel.url,
            "phone_number": "+918047112345",
        },
    )
    assert answer.status == 200, answer.body
    return fake_exotel


@pytest_asyncio.fixture
async def queued_call(client) -> dict[str, Any]:
    """An outbound call row as the dialer writes it before dialling."""
    flow = await Flow.create(
        id=new_id("flw"),
        organisation_id=client.organisation_id,
        kind="outbound",
        name="Campaign",
        provider="sarvam",
        status="active",
    )
    customer = await Customer.create(
        id=new_id("cst"),
        organisation_id=client.organisation_id,
        name="Asha",
        search_name="asha",
        phone=f"+9198{secrets.randbelow(10**8):08d}",
    )
    call = await Call.create(
        id=new_id("cal"),
        organisation_id=client.organisation_id,
        call_type="outbound",
        flow_id=flow.id,
        customer_id=customer.id,
        to_number=customer.phone,
        status="queued",
        provider_call_id=secrets.token_hex(16),
    )
    return {"call": call, "flow": flow, "customer": customer}
