"""The CallReporter the voice pipeline reports into: the row, the transcript as it happens, counters, events."""

from __future__ import annotations

import asyncio

from app.calls.channels import call_events, live_calls
from app.calls.contract import CallAnalysis, CallEnd, Speaker
from app.calls.lifecycle import EndCommand
from app.db.models import Call, Customer, Webhook, WebhookDelivery
from app.ids import new_id
from tests.calls.conftest import now, start_call


async def test_a_call_row_is_created_and_the_transcript_persists_turn_by_turn(client, platform):
    customer = (await client.post("/customers", json={"name": "Jane", "phone": "+14155550192"})).body
    call_id = await start_call(platform, client.organisation_id, customer_id=customer["uuid"])
    call = await Call.get(id=call_id)
    assert (call.status, call.call_type, call.customer_id) == ("in-progress", "outbound", customer["uuid"])
    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
    assert (await Call.get(id=call_id)).transcript == [{"speaker": "agent", "text": "Hello", "timestamp": 0.0}]
    await platform.reporter.transcript(call_id, Speaker.CUSTOMER, "Hi", 1.5)
    assert len((await Call.get(id=call_id)).transcript) == 2
    await platform.reporter.ended(
        call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=42, end_reason="caller_hangup")
    )
    call = await Call.get(id=call_id)
    assert (call.status, call.outcome, call.duration, call.end_reason) == (
        "completed",
        "connected",
        42,
        "caller_hangup",
    )
    stored = await Customer.get(id=customer["uuid"])
    assert (stored.total_calls, stored.outbound_calls, stored.inbound_calls) == (1, 1, 0)
    assert stored.last_contact is not None
    await platform.reporter.analysed(
        call_id, CallAnalysis(summary="ok", sentiment="neutral", key_details={"qms_scores": {"energy": 2}})
    )
    call = await Call.get(id=call_id)
    assert (call.summary, call.sentiment, call.key_details) == ("ok", "neutral", {"qms_scores": {"energy": 2}})


async def test_a_call_the_dialer_created_is_claimed_not_duplicated(client, platform):
    call_id = new_id("cal")
    await Call.create(
        id=call_id,
        organisation_id=client.organisation_id,
        call_type="outbound",
        status="queued",
        to_number="+14155550192",
    )
    assert await start_call(platform, client.organisation_id, call_id=call_id) == call_id
    assert await Call.filter(id=call_id).count() == 1
    assert (await Call.get(id=call_id)).status == "in-progress"


async def test_test_calls_are_not_counted_on_the_customer(client, platform):
    customer = (await client.post("/customers", json={"name": "Jane", "phone": "+14155550193"})).body
    call_id = await start_call(platform, client.organisation_id, call_type="test", customer_id=customer["uuid"])
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=5))
    assert (await Customer.get(id=customer["uuid"])).total_calls == 0


async def test_events_are_numbered_and_published(client, platform):
    async with platform.bus.subscribe(live_calls(client.organisation_id)) as dashboard:
        call_id = await start_call(platform, client.organisation_id)
        async with platform.bus.subscribe(call_events(call_id)) as events:
            await platform.reporter.transcript(call_id, Speaker.AGENT, "Hello", 0.0)
            await platform.reporter.status(call_id, "transfer_initiated", {"target": "sales_specialist"})
            await platform.reporter.ended(
                call_id, CallEnd(outcome="warm_transfer", ended_at=now(), duration_seconds=113)
            )
            received = [await asyncio.wait_for(events.get(), 2) for _ in range(3)]
        assert [(event["type"], event["seq"]) for event in received] == [("transcript", 2), ("status", 3), ("end", 4)]
        assert received[1] == {
            "type": "status",
            "call_uuid": call_id,
            "status": "transfer_initiated",
            "target": "sales_specialist",
            "seq": 3,
        }
        assert received[2]["duration_seconds"] == 113 and received[2]["outcome"] == "warm_transfer"
        changes = [await asyncio.wait_for(dashboard.get(), 2) for _ in range(3)]
        assert [change["change"] for change in changes] == ["started", "updated", "ended"]
    replay = await platform.call_events.replay(call_id)
    assert [event["type"] for event in replay] == ["start", "transcript", "status", "end"]


async def test_commands_reach_the_session_through_the_bus(client, platform):
    call_id = await start_call(platform, client.organisation_id)
    commands = platform.reporter.commands(call_id)
    await platform.calls.end(client.organisation_id, call_id, "dnc_request")
    command = await asyncio.wait_for(commands.__anext__(), 2)
    assert command == EndCommand(reason="dnc_request")
    await commands.aclose()
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=1))


async def test_the_first_end_wins_and_a_late_end_only_fills_in_what_was_missing(client, platform):
    """The session, a carrier callback and reconciliation can all end one call: the outcome, the events
    and the customer's counters come from the first; a later one may only add the recording."""
    customer = (await client.post("/customers", json={"name": "Jane", "phone": "+14155550194"})).body
    await Webhook.create(
        id=new_id("wbh"),
        organisation_id=client.organisation_id,
        name="crm",
        url="https://crm.example.com/hook",
        events=["call.no_answer", "call.voicemail"],
        secret="x",
    )
    call_id = await start_call(platform, client.organisation_id, customer_id=customer["uuid"])
    await platform.reporter.ended(
        call_id, CallEnd(outcome="no-answer", ended_at=now(), duration_seconds=0, end_reason="no_answer")
    )
    await platform.reporter.ended(
        call_id,
        CallEnd(
            outcome="voicemail",
            ended_at=now(),
            duration_seconds=30,
            end_reason="voicemail",
            recording_url="https://rec.example/1.mp3",
        ),
    )
    call = await Call.get(id=call_id)
    assert (call.outcome, call.duration, call.end_reason) == ("no-answer", 0, "no_answer")
    assert call.recording_url == "https://rec.example/1.mp3"
    fired = await WebhookDelivery.filter(webhook__organisation_id=client.organisation_id).values_list(
        "event_type", flat=True
    )
    assert fired == ["call.no_answer"]
    assert (await Customer.get(id=customer["uuid"])).total_calls == 1
    replay = await platform.call_events.replay(call_id)
    assert [event["type"] for event in replay] == ["start", "end"]


async def test_call_started_fires_when_the_callers_voice_is_heard_not_when_the_socket_opens(client, platform):
    await Webhook.create(
        id=new_id("wbh"),
        organisation_id=client.organisation_id,
        name="crm",
        url="https://crm.example.com/hook",
        events=["call.started"],
        secret="x",
    )

    async def fired() -> list[str]:
        return await WebhookDelivery.filter(webhook__organisation_id=client.organisation_id).values_list(
            "payload", flat=True
        )

    call_id = await start_call(platform, client.organisation_id, voice_heard=False)
    assert await fired() == [] and (await Call.get(id=call_id)).status == "in-progress"
    await platform.reporter.voice_heard(call_id)
    payloads = await fired()
    assert [payload["event"] for payload in payloads] == ["call.started"]
    assert payloads[0]["data"]["call_uuid"] == call_id

    silent = await start_call(platform, client.organisation_id, voice_heard=False)
    await platform.reporter.ended(silent, CallEnd(outcome="connected", ended_at=now(), duration_seconds=3))
    await platform.reporter.voice_heard(silent)  # too late: nothing is announced for an ended call
    assert len(await fired()) == 1
