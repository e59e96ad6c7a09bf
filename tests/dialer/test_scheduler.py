"""The scheduler with a fake clock and a fake carrier: windows, pace, concurrency caps, retries,
completion, stop mid-campaign and restart without double dialling."""

from __future__ import annotations

from datetime import UTC, datetime

from app.db.models import Call, Campaign, WebhookDelivery
from tests.dialer.conftest import FakeCarrier, job_statuses, make_customers, make_dialer, make_flow


def org(client) -> str:
    return client.organisation_id


async def _completed_events(client) -> list[dict]:
    rows = await WebhookDelivery.filter(
        webhook__organisation_id=client.organisation_id, event_type="campaign.completed"
    ).values_list("payload", flat=True)
    return [row["data"] for row in rows]


async def test_dials_only_inside_the_window_then_completes(client, agent, server, clock):
    await client.post(
        "/webhooks", json={"name": "n", "url": "https://hooks.example.com/x", "events": ["campaign.completed"]}
    )
    dialer = make_dialer(server, clock, organisation_id=org(client))
    flow = await make_flow(client, agent)
    await make_customers(client, 3, ["Region:West"])
    clock.now = datetime(2027, 5, 11, 12, 0, tzinfo=UTC)  # 08:00 in New York
    launched = await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
    assert launched.customers_queued == 3
    assert await dialer.tick() == 0 and dialer.carrier.dials == []
    clock.advance(hours=1, minutes=1)  # 09:01
    assert await dialer.tick() == 3
    assert {request.flow_id for request in dialer.carrier.dials} == {flow["uuid"]}
    calls = await Call.filter(id__in=[r.call_id for r in dialer.carrier.dials]).values(
        "status", "call_type", "provider_call_id"
    )
    assert all(c["status"] == "ringing" and c["call_type"] == "outbound" and c["provider_call_id"] for c in calls)
    assert await job_statuses(flow["uuid"]) == {"dialling": 3}
    assert await dialer.end_open_calls() == 3
    clock.advance(seconds=1)
    await dialer.tick()
    assert await job_statuses(flow["uuid"]) == {"done": 3}
    assert (await Campaign.get(flow_id=flow["uuid"])).status == "completed"
    events = await _completed_events(client)
    assert len(events) == 1 and events[0]["connected"] == 3 and events[0]["jobs"] == 3
    await dialer.tick()
    assert len(await _completed_events(client)) == 1


async def test_pace_and_flow_concurrency(client, agent, server, clock):
    dialer = make_dialer(
        server, clock, organisation_id=org(client), dialer_calls_per_second=2.0, dialer_flow_concurrency=3
    )
    flow = await make_flow(client, agent)
    await make_customers(client, 6, ["Region:West"])
    await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
    assert await dialer.tick() == 2  # a full bucket holds 2 dials
    assert await dialer.tick() == 0  # no time has passed
    clock.advance(seconds=0.5)
    assert await dialer.tick() == 1  # 2/s: one more after half a second
    clock.advance(seconds=10)
    assert await dialer.tick() == 0  # 3 calls in progress: the flow's cap
    await dialer.end_open_calls(only=2)
    assert await dialer.tick() == 2
    assert len(dialer.carrier.dials) == 5


async def test_organisation_concurrency_spans_flows(client, agent, server, clock):
    dialer = make_dialer(server, clock, organisation_id=org(client), dialer_org_concurrency=3)
    first = await make_flow(client, agent)
    second = await make_flow(client, agent, name="Second")
    await make_customers(client, 4, ["Region:West"])
    await dialer.campaigns.launch(client.organisation_id, first["uuid"])
    await dialer.campaigns.launch(client.organisation_id, second["uuid"])
    await dialer.tick()
    clock.advance(seconds=5)
    await dialer.tick()
    assert len(dialer.carrier.dials) == 3


async def test_no_answer_is_retried_per_policy(client, agent, server, clock):
    dialer = make_dialer(server, clock, organisation_id=org(client), dialer_max_attempts=2, dialer_retry_minutes=30)
    flow = await make_flow(client, agent)
    await make_customers(client, 1, ["Region:West"])
    await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
    await dialer.tick()
    await dialer.end_open_calls("no-answer", "no_answer")
    clock.advance(seconds=1)
    assert await dialer.tick() == 0
    assert await job_statuses(flow["uuid"]) == {"queued": 1}
    clock.advance(minutes=29)
    assert await dialer.tick() == 0
    clock.advance(minutes=2)
    assert await dialer.tick() == 1
    await dialer.end_open_calls("no-answer", "busy")
    clock.advance(minutes=31)
    assert await dialer.tick() == 0
    assert await job_statuses(flow["uuid"]) == {"done": 1}
    assert len(dialer.carrier.dials) == 2
    assert (await Campaign.get(flow_id=flow["uuid"])).status == "completed"


async def test_carrier_failure_is_a_failed_call_with_reason(client, agent, server, clock):
    dialer = make_dialer(server, clock, organisation_id=org(client), carrier=FakeCarrier(fail_reason="auth_failed"))
    flow = await make_flow(client, agent)
    await make_customers(client, 1, ["Region:West"])
    await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
    await dialer.tick()
    call = await Call.get(id=dialer.carrier.dials[0].call_id)
    assert (call.status, call.outcome, call.end_reason) == ("failed", "failed", "auth_failed")
    clock.advance(seconds=1)
    await dialer.tick()
    assert await job_statuses(flow["uuid"]) == {"failed": 1}


async def test_stop_mid_campaign_lets_calls_finish_and_dials_no_more(client, agent, server, clock):
    dialer = make_dialer(server, clock, organisation_id=org(client), dialer_flow_concurrency=2)
    flow = await make_flow(client, agent)
    await make_customers(client, 5, ["Region:West"])
    await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
    await dialer.tick()
    await dialer.campaigns.stop(client.organisation_id, flow["uuid"])
    assert await job_statuses(flow["uuid"]) == {"dialling": 2, "cancelled": 3}
    await dialer.end_open_calls()
    clock.advance(seconds=5)
    await dialer.tick()
    assert await job_statuses(flow["uuid"]) == {"done": 2, "cancelled": 3}
    assert len(dialer.carrier.dials) == 2
    assert (await Campaign.get(flow_id=flow["uuid"])).status == "stopped"


async def test_restart_resumes_without_dialling_anyone_twice(client, agent, server, clock):
    carrier = FakeCarrier()
    first = make_dialer(server, clock, organisation_id=org(client), carrier=carrier, dialer_flow_concurrency=3)
    flow = await make_flow(client, agent)
    customers = await make_customers(client, 5, ["Region:West"])
    await first.campaigns.launch(client.organisation_id, flow["uuid"])
    await first.tick()
    await first.scheduler.aclose()  # the instance goes away mid-campaign
    second = make_dialer(server, clock, organisation_id=org(client), carrier=carrier, dialer_flow_concurrency=3)
    clock.advance(seconds=5)
    assert await second.tick() == 0  # three calls still in progress
    await second.end_open_calls()
    for _ in range(3):
        clock.advance(seconds=5)
        await second.tick()
        await second.end_open_calls()
    clock.advance(seconds=5)
    await second.tick()
    dialled = [request.customer_id for request in carrier.dials]
    assert sorted(dialled) == sorted(customer["uuid"] for customer in customers)
    assert (await Campaign.get(flow_id=flow["uuid"])).status == "completed"


async def test_two_schedulers_claim_each_job_once(client, agent, server, clock):
    carrier = FakeCarrier()
    a = make_dialer(server, clock, organisation_id=org(client), carrier=carrier)
    b = make_dialer(server, clock, organisation_id=org(client), carrier=carrier)
    flow = await make_flow(client, agent)
    await make_customers(client, 8, ["Region:West"])
    await a.campaigns.launch(client.organisation_id, flow["uuid"])
    import asyncio

    await asyncio.gather(a.tick(), b.tick())
    dialled = [request.customer_id for request in carrier.dials]
    assert len(dialled) == len(set(dialled))
