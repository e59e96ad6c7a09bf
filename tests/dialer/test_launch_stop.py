"""POST /flows/{uuid}/launch and /stop through REST: rules, answers, events, and that rejections change nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from app.calls.contract import CallEnd
from app.db.models import Call, Campaign, DialJob, DoNotCall, WebhookDelivery
from app.ids import new_id
from tests.dialer.conftest import job_statuses, make_customers, make_flow


async def _events(client, event: str) -> list[dict]:
    rows = (
        await WebhookDelivery.filter(webhook__organisation_id=client.organisation_id, event_type=event)
        .order_by("created_at")
        .values_list("payload", flat=True)
    )
    return [row["data"] for row in rows]


async def _subscribe(client) -> None:
    answer = await client.post(
        "/webhooks",
        json={
            "name": "n",
            "url": "https://hooks.example.com/x",
            "events": ["campaign.launched", "campaign.stopped", "campaign.completed", "call.no_answer"],
        },
    )
    assert answer.status == 201, answer.body


async def test_launch_queues_branch_customers_once_and_stop_cancels(client, agent):
    await _subscribe(client)
    flow = await make_flow(client, agent, status="draft")
    await make_customers(client, 3, ["Region:West"])
    await make_customers(client, 2, ["Segment:Lapsed", "Other"])
    await make_customers(client, 2, ["Region:East"])
    answer = await client.post(f"/flows/{flow['uuid']}/launch")
    assert answer.status == 200, answer.body
    assert answer.body == {"status": "launched", "flow_uuid": flow["uuid"], "customers_queued": 5}
    assert (await client.get(f"/flows/{flow['uuid']}")).body["status"] == "active"
    again = await client.post(f"/flows/{flow['uuid']}/launch")
    assert again.body["customers_queued"] == 0
    assert await job_statuses(flow["uuid"]) == {"queued": 5}
    stopped = await client.post(f"/flows/{flow['uuid']}/stop")
    assert stopped.status == 200 and stopped.body == {"status": "stopped", "flow_uuid": flow["uuid"]}
    assert await job_statuses(flow["uuid"]) == {"cancelled": 5}
    twice = await client.post(f"/flows/{flow['uuid']}/stop")
    assert twice.status == 409 and twice.body["detail"] == "Campaign is not running"
    launched = await _events(client, "campaign.launched")
    assert [event["customers_queued"] for event in launched] == [5, 0]
    assert [event["jobs_cancelled"] for event in await _events(client, "campaign.stopped")] == [5]


async def test_launch_rejections_change_nothing(client, other_client, agent):
    await make_customers(client, 2, ["Region:West"])
    inbound = await client.post(
        "/flows", json={"kind": "inbound", "name": "Line", "provider": "sarvam", "voice_agent_id": agent["uuid"]}
    )
    answer = await client.post(f"/flows/{inbound.body['uuid']}/launch")
    assert answer.status == 409 and answer.body["detail"] == "Only outbound flows can be launched"
    draft = await client.post(
        "/flows", json={"kind": "outbound", "name": "Draft", "provider": "sarvam", "branches": ["Region:West"]}
    )
    answer = await client.post(f"/flows/{draft.body['uuid']}/launch")
    assert answer.status == 409 and answer.body["detail"] == "Assign a voice agent to the flow before launching it"
    assert (await client.get(f"/flows/{draft.body['uuid']}")).body["status"] == "draft"
    missing = await client.post("/flows/flw_000000000000/launch")
    assert missing.status == 404 and missing.body["detail"] == "Flow not found"
    flow = await make_flow(client, agent)
    foreign = await other_client.post(f"/flows/{flow['uuid']}/launch")
    assert foreign.status == 404
    assert (await other_client.post(f"/flows/{flow['uuid']}/stop")).status == 404
    assert not await Campaign.exists(organisation_id=client.organisation_id)
    assert not await DialJob.exists(organisation_id=client.organisation_id)


async def test_dedup_window_and_do_not_call(client, agent, server):
    flow = await make_flow(client, agent)
    recent, old, dnc, fresh = await make_customers(client, 4, ["Region:West"])
    now = datetime.now(UTC)
    await Call.create(
        id=new_id("cal"),
        organisation_id=client.organisation_id,
        call_type="outbound",
        customer_id=recent["uuid"],
        status="completed",
    )
    long_ago = await Call.create(
        id=new_id("cal"),
        organisation_id=client.organisation_id,
        call_type="outbound",
        customer_id=old["uuid"],
        status="completed",
    )
    await Call.filter(id=long_ago.id).update(created_at=now - timedelta(hours=25))
    # a call that ends with the customer's do-not-call request marks them
    call = await Call.create(
        id=new_id("cal"),
        organisation_id=client.organisation_id,
        call_type="inbound",
        customer_id=dnc["uuid"],
        status="in-progress",
        started_at=now,
    )
    await server.platform.reporter.ended(
        call.id, CallEnd(outcome="connected", ended_at=now, duration_seconds=9, end_reason="dnc_request")
    )
    assert await DoNotCall.exists(customer_id=dnc["uuid"])
    answer = await client.post(f"/flows/{flow['uuid']}/launch")
    assert answer.body["customers_queued"] == 2
    queued = set(await DialJob.filter(campaign__flow_id=flow["uuid"]).values_list("customer_id", flat=True))
    assert queued == {old["uuid"], fresh["uuid"]}


async def test_concurrent_launches_do_not_double_queue(client, agent):
    flow = await make_flow(client, agent)
    await make_customers(client, 6, ["Region:West"])
    answers = await asyncio.gather(*(client.post(f"/flows/{flow['uuid']}/launch") for _ in range(3)))
    assert sorted(answer.body["customers_queued"] for answer in answers) == [0, 0, 6]
    assert await job_statuses(flow["uuid"]) == {"queued": 6}


async def test_deleting_a_flow_stops_its_campaign_first(client, agent):
    await _subscribe(client)
    flow = await make_flow(client, agent)
    await make_customers(client, 2, ["Region:West"])
    await client.post(f"/flows/{flow['uuid']}/launch")
    assert (await client.delete(f"/flows/{flow['uuid']}")).status == 200
    assert [event["flow_uuid"] for event in await _events(client, "campaign.stopped")] == [flow["uuid"]]


async def test_exotel_cannot_be_disconnected_while_a_campaign_runs(client, agent):
    flow = await make_flow(client, agent)
    await make_customers(client, 1, ["Region:West"])
    await client.put(
        "/integrations/telephony/exotel",
        json={
            "api_key": "key_1234",
            "api_token": "token_9abc",
            "account_sid": "acct_run",
            "subdomain": "api.exotel.com",
            "phone_number": "+918047112345",
        },
    )
    refused = await client.post(f"/flows/{flow['uuid']}/launch")
    assert refused.status == 409 and "exotel_flow_url" in refused.body["detail"]
    await client.patch(f"/flows/{flow['uuid']}", json={"config": {"exotel_flow_url": "http://my.exotel.com/a/1"}})
    assert (await client.post(f"/flows/{flow['uuid']}/launch")).status == 200
    answer = await client.delete("/integrations/telephony/exotel")
    assert answer.status == 409
    assert answer.body["detail"].startswith("A campaign is running: stop it")
    assert (await client.get("/integrations/telephony/exotel")).body["is_connected"] is True
    await client.post(f"/flows/{flow['uuid']}/stop")
    assert (await client.delete("/integrations/telephony/exotel")).status == 200


async def test_launch_is_limited_to_5_per_minute(client, agent):
    flow = await make_flow(client, agent)
    statuses = [(await client.post(f"/flows/{flow['uuid']}/launch")).status for _ in range(6)]
    assert statuses == [200] * 5 + [429]
