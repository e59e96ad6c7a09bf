"""Issue 16 §2: a callback a caller asked for is dialled when due, after the campaign's list is done; the
campaign stays running until then, and completes once it is placed."""

from __future__ import annotations

from datetime import UTC, datetime

from app.db.models import Campaign
from app.dialer.callbacks import CallbackService
from tests.dialer.conftest import job_statuses, make_customers, make_dialer, make_flow


async def test_a_due_callback_is_dialled_after_the_list_is_done(client, agent, server, clock):
    dialer = make_dialer(server, clock, organisation_id=client.organisation_id)
    flow = await make_flow(client, agent)
    await make_customers(client, 1, ["Region:West"])
    clock.now = datetime(2027, 5, 11, 14, 0, tzinfo=UTC)  # 10:00 in New York
    await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
    assert await dialer.tick() == 1
    [first] = dialer.carrier.dials
    booked = await CallbackService().schedule(first.call_id, "in 2 hours", "send the brochure first", now=clock.now)
    assert booked.due_at == datetime(2027, 5, 11, 16, 0, tzinfo=UTC)

    assert await dialer.end_open_calls() == 1
    clock.advance(seconds=1)
    await dialer.tick()
    assert await job_statuses(flow["uuid"]) == {"done": 1, "queued": 1}
    assert (await Campaign.get(flow_id=flow["uuid"])).status == "running"  # a callback is still due

    clock.advance(hours=2)
    assert await dialer.tick() == 1
    second = dialer.carrier.dials[-1]
    assert second.call_id != first.call_id and second.customer_id == first.customer_id
    assert await dialer.end_open_calls() == 1
    clock.advance(seconds=1)
    await dialer.tick()
    assert await job_statuses(flow["uuid"]) == {"done": 2}
    assert (await Campaign.get(flow_id=flow["uuid"])).status == "completed"
