"""Reconciliation: outbound calls whose status callback never came are looked up at the carrier (the fake
Exotel server over a real socket, or the simulator's own record) and settled through the callback's mapping."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from app.db.models import Call, Campaign, DialJob, WebhookDelivery
from app.dialer.scheduler import DialerScheduler
from app.telephony.carriers import CarrierDirectory
from app.telephony.simulator import SimulatedCarrier
from tests.dialer.conftest import FakeClock, make_customers, make_flow

STATUS = "/webhooks/exotel/status"


def _scheduler(server, organisation_id: str, *, clock=None, simulator=None, **settings) -> DialerScheduler:
    platform = server.platform
    config = replace(
        server.settings,
        **{
            "dialer_reconcile_minutes": 10.0,
            "dialer_reconcile_seconds": 60.0,
            "dialer_stale_minutes": 90.0,
            "dialer_calls_per_second": 100.0,
            **settings,
        },
    )
    carriers = CarrierDirectory(
        platform.integrations, "auto", config.public_url, simulator=(lambda: simulator) if simulator else None
    )
    campaigns = (
        platform.campaigns
        if clock is None
        else type(platform.campaigns)(platform.outbox, config, exotel_account=carriers.uses_exotel, clock=clock)
    )
    return platform.scoped_dialer([organisation_id], settings=config, campaigns=campaigns, carriers=carriers)


async def _quiet(call_id: str, minutes: float, *, created_minutes: float | None = None) -> None:
    """The call's last status (and creation) lies this far back: its callback got lost."""
    now = datetime.now(UTC)
    await Call.filter(id=call_id).update(
        updated_at=now - timedelta(minutes=minutes), created_at=now - timedelta(minutes=created_minutes or minutes)
    )


async def _events(client, event: str) -> int:
    return await WebhookDelivery.filter(webhook__organisation_id=client.organisation_id, event_type=event).count()


@pytest_asyncio.fixture
async def dialer(server, client, connected):
    scheduler = _scheduler(server, client.organisation_id)
    try:
        yield scheduler
    finally:
        await scheduler.aclose()


@pytest_asyncio.fixture
async def hooked(client) -> None:
    answer = await client.post(
        "/webhooks",
        json={"name": "n", "url": "https://hooks.example.com/x", "events": ["call.no_answer", "campaign.completed"]},
    )
    assert answer.status == 201, answer.body


async def test_a_completed_call_gets_its_recording_and_duration(dialer, connected, queued_call):
    call = queued_call["call"]
    connected.place(call.provider_call_id)
    connected.finish(
        call.provider_call_id, "completed", recording_url="https://recordings.exotel.com/r.mp3", duration=42
    )
    await _quiet(call.id, 15)
    done = await dialer.reconciler.run()
    assert (done.ended, done.left, done.unknown) == (1, 0, 0)
    assert connected.details_asked == [call.provider_call_id]
    fresh = await Call.get(id=call.id)
    assert (fresh.status, fresh.outcome, fresh.end_reason, fresh.duration) == (
        "completed",
        "connected",
        "completed",
        42,
    )
    assert fresh.recording_url == "https://recordings.exotel.com/r.mp3"


async def test_a_call_whose_socket_opened_is_ended_by_the_carriers_word(dialer, connected, queued_call):
    """A callback for such a call only fills facts (the session ends it); a session silent for this long
    went away, so reconciliation lets Exotel's answer end it."""
    call = queued_call["call"]
    await Call.filter(id=call.id).update(status="in-progress", started_at=datetime.now(UTC))
    connected.place(call.provider_call_id)
    connected.finish(call.provider_call_id, "completed", duration=61)
    await _quiet(call.id, 15)
    assert (await dialer.reconciler.run()).ended == 1
    fresh = await Call.get(id=call.id)
    assert (fresh.status, fresh.outcome, fresh.duration) == ("completed", "connected", 61)


async def test_no_answer_fires_once_and_a_late_callback_changes_nothing(
    anonymous, client, dialer, connected, queued_call, hooked
):
    call = queued_call["call"]
    connected.place(call.provider_call_id)
    connected.finish(call.provider_call_id, "no-answer")
    await _quiet(call.id, 15)
    assert (await dialer.reconciler.run()).ended == 1
    fresh = await Call.get(id=call.id)
    assert (fresh.status, fresh.outcome, fresh.end_reason) == ("completed", "no-answer", "no_answer")
    assert await _events(client, "call.no_answer") == 1

    late = await anonymous.post(
        STATUS,
        data={
            "CallSid": call.provider_call_id,
            "AccountSid": connected.account_sid,
            "CustomField": call.id,
            "Status": "completed",
            "DateUpdated": "2026-05-12 14:40:00",
            "RecordingUrl": "",
        },
    )
    assert late.status == 200 and late.body == {"status": "unchanged"}
    again = await Call.get(id=call.id)
    assert (again.outcome, again.end_reason, again.ended_at) == ("no-answer", "no_answer", fresh.ended_at)
    assert await _events(client, "call.no_answer") == 1


async def test_a_call_still_in_progress_is_left_alone_and_asked_once_per_interval(dialer, connected, queued_call):
    call = queued_call["call"]
    connected.place(call.provider_call_id)  # Exotel: in-progress
    await _quiet(call.id, 15)
    done = await dialer.reconciler.run()
    assert (done.ended, done.left) == (0, 1)
    fresh = await Call.get(id=call.id)
    assert (fresh.status, fresh.ended_at) == ("in-progress", None)
    await _quiet(call.id, 15)
    assert (await dialer.reconciler.run()).left == 0  # checked a moment ago: not asked again
    assert connected.details_asked == [call.provider_call_id]


async def test_a_recent_or_ended_call_is_not_asked_about(dialer, connected, queued_call):
    call = queued_call["call"]
    connected.place(call.provider_call_id)
    connected.finish(call.provider_call_id, "completed")
    await _quiet(call.id, 5)  # quieter than 10 minutes: its callback may come
    assert (await dialer.reconciler.run()).ended == 0
    assert connected.details_asked == []


async def test_unknown_call_waits_then_ends_failed_past_the_ceiling(dialer, connected, queued_call):
    call = queued_call["call"]  # Exotel never heard of it: 404
    await _quiet(call.id, 15)
    done = await dialer.reconciler.run()
    assert (done.ended, done.unknown) == (0, 1)
    assert (await Call.get(id=call.id)).ended_at is None
    await Call.filter(id=call.id).update(checked_at=None)
    await _quiet(call.id, 15, created_minutes=91)
    assert (await dialer.reconciler.run()).ended == 1
    fresh = await Call.get(id=call.id)
    assert (fresh.status, fresh.outcome, fresh.end_reason) == ("failed", "failed", "status unknown")


async def test_auth_rate_limit_and_timeout_leave_the_call_open(dialer, connected, queued_call):
    call = queued_call["call"]
    connected.place(call.provider_call_id)
    connected.finish(call.provider_call_id, "completed")
    connected.api_token = "rotated-at-exotel"  # our stored token no longer works: 401
    for attempt in range(3):
        if attempt == 1:
            connected.api_token, connected.details_fail_with = "exo_token_test", 429
        if attempt == 2:
            connected.details_fail_with, connected.details_delay = None, 1.0
            dialer.reconciler.lookup_seconds = 0.2
        await Call.filter(id=call.id).update(checked_at=None)
        await _quiet(call.id, 15)
        done = await dialer.reconciler.run()
        assert (done.ended, done.unknown) == (0, 1), attempt
        assert (await Call.get(id=call.id)).ended_at is None
    assert len(connected.details_asked) == 3


async def test_two_instances_ask_about_a_call_once(server, client, connected, queued_call):
    call = queued_call["call"]
    connected.place(call.provider_call_id)
    connected.details_delay = 0.2
    await _quiet(call.id, 15)
    first, second = _scheduler(server, client.organisation_id), _scheduler(server, client.organisation_id)
    try:
        results = await asyncio.gather(first.reconciler.run(), second.reconciler.run())
    finally:
        await first.aclose()
        await second.aclose()
    assert sum(done.left for done in results) == 1
    assert connected.details_asked == [call.provider_call_id]


async def test_the_campaign_settles_and_completes_after_lost_callbacks(server, client, connected, hooked):
    """Dialled through the fake Exotel; every status callback is lost. Reconciliation ends the calls, the
    no-answer is retried per policy, and the campaign completes."""
    agent = (
        await client.post(
            "/agents",
            json={"name": "Aria", "role": "Sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}},
        )
    ).body
    flow = await make_flow(client, agent, config={"exotel_flow_url": "http://my.exotel.com/a/exoml/start_voice/1"})
    await make_customers(client, 2, ["Region:West"])
    clock = FakeClock(datetime(2027, 5, 11, 14, 0, tzinfo=UTC))
    dialer = _scheduler(server, client.organisation_id, clock=clock, dialer_max_attempts=2, dialer_retry_minutes=1.0)
    try:
        await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
        assert await dialer.tick() == 2
        await dialer.wait_for_dials()
        calls = await Call.filter(flow_id=flow["uuid"]).values("id", "provider_call_id", "to_number")
        assert len(calls) == 2 and all(row["provider_call_id"] in connected.calls for row in calls)
        answered, unanswered = calls
        connected.finish(answered["provider_call_id"], "completed", duration=30)
        connected.finish(unanswered["provider_call_id"], "no-answer")
        for row in calls:
            await _quiet(row["id"], 15)
        assert (await dialer.reconciler.run()).ended == 2
        clock.advance(seconds=1)
        await dialer.tick()
        jobs = {
            row["phone"]: row
            for row in await DialJob.filter(campaign__flow_id=flow["uuid"]).values(
                "phone", "status", "attempts", "outcome"
            )
        }
        assert jobs[answered["to_number"]]["status"] == "done"
        assert (jobs[unanswered["to_number"]]["status"], jobs[unanswered["to_number"]]["attempts"]) == ("queued", 1)

        clock.advance(minutes=2)  # the retry is due
        assert await dialer.tick() == 1
        await dialer.wait_for_dials()
        retry = await Call.filter(flow_id=flow["uuid"], ended_at__isnull=True).first()
        connected.finish(retry.provider_call_id, "busy")
        await _quiet(retry.id, 15)
        assert (await dialer.reconciler.run()).ended == 1
        clock.advance(seconds=1)
        await dialer.tick()
        campaign = await Campaign.get(flow_id=flow["uuid"])
        assert campaign.status == "completed"
        assert await _events(client, "campaign.completed") == 1
        assert await _events(client, "call.no_answer") == 2
        assert len(connected.calls) == 3
    finally:
        await dialer.aclose()


async def test_simulated_calls_reconcile_from_the_simulators_record(server, client, queued_call):
    simulator = SimulatedCarrier(server.settings.public_url, server.platform.simulator_account_sid, ring_seconds=60.0)
    dialer = _scheduler(server, client.organisation_id, simulator=simulator)
    try:
        await dialer.carriers.for_organisation(client.organisation_id)  # the simulator is this one
        from app.telephony.base import DialRequest

        call = queued_call["call"]
        placed = await simulator.place_call(
            DialRequest(
                call_id=call.id,
                organisation_id=client.organisation_id,
                flow_id=call.flow_id,
                customer_id=call.customer_id,
                to_number=call.to_number,
            )
        )
        await Call.filter(id=call.id).update(provider_call_id=placed.provider_call_id)
        lost = await Call.create(
            id="cal_" + secrets.token_hex(6),
            organisation_id=client.organisation_id,
            call_type="outbound",
            to_number="+919800000001",
            status="ringing",
            provider_call_id="SIMCA" + secrets.token_hex(12),
        )
        await _quiet(call.id, 15)
        await _quiet(lost.id, 15)
        done = await dialer.reconciler.run()
        assert (done.ended, done.left) == (1, 1)
        assert (await Call.get(id=call.id)).ended_at is None  # still ringing at the simulator
        fresh = await Call.get(id=lost.id)
        assert (fresh.status, fresh.end_reason) == ("failed", "simulator_call_lost")
    finally:
        await dialer.aclose()
        await simulator.aclose()
