"""`call.ended` on every call end (issue 12, point 4): exactly once per call, whatever the outcome and whoever
ends it (the session, a status callback, reconciliation, the dialer), after the outcome's own event, with the
one data shape; a late status callback, a late end or reconciliation fires no second one."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest_asyncio

from app.calls.contract import CallAnalysis, CallEnd
from app.db.models import Call, WebhookDelivery
from app.ids import new_id
from app.telephony.base import DialRequest, DialResult
from app.telephony.simulator import SimulatedCarrier
from tests.calls.conftest import now, start_call
from tests.conftest import Client
from tests.dialer.conftest import FakeClock, make_customers, make_dialer, make_flow
from tests.webhooks.test_delivery import ALL_CALL_EVENTS, subscribe

STATUS = "/webhooks/exotel/status"
FULL = {
    "call_uuid",
    "call_type",
    "flow_uuid",
    "customer_uuid",
    "customer_phone",
    "customer_metadata",
    "outcome",
    "sentiment",
    "duration_seconds",
    "language_detected",
    "transcript",
    "recording_url",
    "started_at",
    "ended_at",
    "usage",
    "cost",
    "latency",
}  # the last three: extension fields (issue 17)
OUTCOME_EVENTS = {"no-answer": "call.no_answer", "voicemail": "call.voicemail"}


class ScriptedCarrier(SimulatedCarrier):
    """The simulated carrier told what each customer does, beyond its own behaviours: the dial is refused,
    the voice socket cannot be reached, or the status callback is lost (only reconciliation learns the end)."""

    def __init__(self, server, plan: dict[str, str]) -> None:
        super().__init__(server.base_url, server.platform.simulator_account_sid, seed=3, realtime=0.5, ring_seconds=0.1)
        self.plan = plan

    def behaviour_of(self, customer_id: str) -> str:
        return self.plan[customer_id]

    async def place_call(self, request: DialRequest) -> DialResult:
        if self.plan[request.customer_id] == "dial-fails":
            return DialResult("failed", reason="carrier_rejected")
        return await super().place_call(request)

    async def _run(self, request: DialRequest, sid: str, behaviour: str) -> None:
        if behaviour == "callback-lost":
            self.states[sid] = "no-answer"
            return
        await super()._run(request, sid, behaviour)

    async def _converse(self, request: DialRequest, sid: str, behaviour: str) -> None:
        if behaviour == "connect-fails":
            raise aiohttp.ClientConnectionError("the voice socket cannot be reached")
        await super()._converse(request, sid, behaviour)


async def _until(predicate, timeout: float = 90.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


def _events_of(hook, path: str, call_id: str) -> list[dict]:
    return [item.json for item in hook.on(path) if item.json["data"].get("call_uuid") == call_id]


@pytest_asyncio.fixture
async def agent(hooks_client) -> dict:
    created = await hooks_client.post(
        "/agents", json={"name": "Aria", "role": "Sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}}
    )
    assert created.status == 201, created.body
    return created.body


async def test_every_outcome_of_a_simulated_campaign_fires_call_ended_once(
    hooks_client, hooks_server, hook, agent, http
):
    await subscribe(hooks_client, hook, "/all", events=ALL_CALL_EVENTS)
    behaviours = [
        "no-answer",
        "busy",
        "voicemail",
        "early-hangup",
        "talk",
        "connect-fails",
        "dial-fails",
        "callback-lost",
    ]
    customers = await make_customers(hooks_client, len(behaviours), ["Region:West"])
    plan = {customer["uuid"]: behaviour for customer, behaviour in zip(customers, behaviours, strict=True)}
    carrier = ScriptedCarrier(hooks_server, plan)
    dialer = make_dialer(
        hooks_server,
        FakeClock(hooks_server.platform.campaigns.clock()),
        carrier=carrier,
        organisation_id=hooks_client.organisation_id,
    )
    flow = await make_flow(hooks_client, agent, time_window=None, config={"dialer": {"max_attempts": 1}})
    try:
        await dialer.campaigns.launch(hooks_client.organisation_id, flow["uuid"])
        assert await dialer.tick() == len(behaviours)

        async def all_but_the_lost_one_ended() -> bool:
            return await Call.filter(flow_id=flow["uuid"], ended_at__isnull=False).count() == len(behaviours) - 1

        await _until(all_but_the_lost_one_ended)
        await carrier.wait_idle()
        lost = await Call.get(flow_id=flow["uuid"], ended_at__isnull=True)
        assert plan[lost.customer_id] == "callback-lost"
        # its callback never came: reconciliation asks the carrier and ends it
        quiet = datetime.now(UTC) - timedelta(minutes=30)
        await Call.filter(id=lost.id).update(updated_at=quiet, created_at=quiet)
        assert (await dialer.scheduler.reconciler.run()).ended == 1

        calls = {call.id: call for call in await Call.filter(flow_id=flow["uuid"])}

        async def every_call_ended_arrived() -> bool:
            ended = {item.json["data"]["call_uuid"] for item in hook.on("/all") if item.json["event"] == "call.ended"}
            return ended >= set(calls)

        await _until(every_call_ended_arrived, timeout=30)

        # late and repeated news changes nothing: the carrier's callbacks again, reconciliation again
        anonymous = Client(http, hooks_server, None)
        for call in calls.values():
            if call.provider_call_id:
                for status in ("completed", "no-answer"):
                    answer = await anonymous.post(
                        STATUS,
                        data={
                            "CallSid": call.provider_call_id,
                            "AccountSid": carrier.account_sid,
                            "CustomField": call.id,
                            "Status": status,
                            "RecordingUrl": "",
                        },
                    )
                    assert answer.status == 200 and answer.body["status"] != "ended", answer.body
        await Call.filter(flow_id=flow["uuid"]).update(updated_at=quiet)
        assert (await dialer.scheduler.reconciler.run()).ended == 0
        await asyncio.sleep(0.5)

        outcomes = {}
        for call_id, call in calls.items():
            call = await Call.get(id=call_id)
            events = [event["event"] for event in _events_of(hook, "/all", call_id)]
            assert events.count("call.ended") == 1, (plan[call.customer_id], events)
            ended = next(event for event in _events_of(hook, "/all", call_id) if event["event"] == "call.ended")
            assert set(ended["data"]) == FULL and ended["data"]["outcome"] == call.outcome
            if call.outcome in OUTCOME_EVENTS:  # the outcome's own event came first, with the same data
                own = next(
                    event
                    for event in _events_of(hook, "/all", call_id)
                    if event["event"] == OUTCOME_EVENTS[call.outcome]
                )
                assert own["fired_at"] <= ended["fired_at"]
                assert {key: value for key, value in own["data"].items() if key != "sentiment"} == {
                    key: value for key, value in ended["data"].items() if key != "sentiment"
                }
                rows = {
                    row.event_type: row
                    for row in await WebhookDelivery.filter(
                        webhook__organisation_id=hooks_client.organisation_id,
                        event_type__in=["call.ended", OUTCOME_EVENTS[call.outcome]],
                    )
                    if row.payload["data"]["call_uuid"] == call_id
                }
                assert rows[OUTCOME_EVENTS[call.outcome]].created_at <= rows["call.ended"].created_at
            outcomes[plan[call.customer_id]] = call.outcome
            if call.started_at is None:  # never reached the voice pipeline
                assert (ended["data"]["transcript"], ended["data"]["recording_url"]) == ([], None)
        assert outcomes == {
            "no-answer": "no-answer",
            "busy": "no-answer",
            "voicemail": "voicemail",
            "early-hangup": outcomes["early-hangup"],
            "talk": "connected",
            "connect-fails": "failed",
            "dial-fails": "failed",
            "callback-lost": "no-answer",
        }
    finally:
        await carrier.aclose()
        await dialer.scheduler.aclose()


async def test_a_session_call_ended_waits_for_its_analysis(hooks_client, hooks_server, hook):
    platform = hooks_server.platform
    await subscribe(hooks_client, hook, "/session", events=["call.ended", "call.voicemail"])
    call_id = await start_call(platform, hooks_client.organisation_id)
    await platform.reporter.ended(call_id, CallEnd(outcome="voicemail", ended_at=now(), duration_seconds=9))
    [voicemail] = await hook.wait_for("/session", 1)
    assert voicemail.json["event"] == "call.voicemail"
    await asyncio.sleep(0.3)
    assert len(hook.on("/session")) == 1  # call.ended is held for the analysis
    await platform.reporter.analysed(call_id, CallAnalysis(summary="Left a message.", sentiment="neutral"))
    _, ended = await hook.wait_for("/session", 2)
    assert ended.json["event"] == "call.ended"
    assert (ended.json["data"]["outcome"], ended.json["data"]["sentiment"]) == ("voicemail", "neutral")
    await platform.reporter.analysed(call_id, CallAnalysis(sentiment="negative"))  # a repeat fires nothing
    await asyncio.sleep(0.3)
    assert len(hook.on("/session")) == 2


async def test_another_path_ending_a_live_session_call_fires_once_with_the_analysis(hooks_client, hooks_server, hook):
    platform = hooks_server.platform
    await subscribe(hooks_client, hook, "/race", events=["call.ended"])
    call_id = await start_call(platform, hooks_client.organisation_id)
    # reconciliation gives up on the call first; then the session tears down and reports its own end
    await platform.reporter.ended(
        call_id, CallEnd(outcome="failed", ended_at=now(), duration_seconds=0, end_reason="status unknown")
    )
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=40))
    await platform.reporter.analysed(call_id, CallAnalysis(sentiment="positive"))
    [ended] = await hook.wait_for("/race", 1)
    await asyncio.sleep(0.3)
    assert len(hook.on("/race")) == 1
    assert (ended.json["data"]["outcome"], ended.json["data"]["sentiment"]) == ("failed", "positive")


async def test_a_held_call_ended_goes_out_when_the_analysis_never_comes(hooks_client, hooks_server, hook):
    platform = hooks_server.platform
    await subscribe(hooks_client, hook, "/crashed", events=["call.ended"])
    wait = platform.reporter.analysis_wait
    platform.reporter.analysis_wait = timedelta(seconds=0.5)
    try:
        call_id = await start_call(platform, hooks_client.organisation_id)
        await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=12))
    finally:
        platform.reporter.analysis_wait = wait
    [ended] = await hook.wait_for("/crashed", 1, timeout=5)
    assert (ended.json["data"]["outcome"], ended.json["data"]["sentiment"]) == ("connected", None)
    await platform.reporter.analysed(call_id, CallAnalysis(sentiment="positive"))  # too late: stored, not re-sent
    await asyncio.sleep(0.3)
    assert len(hook.on("/crashed")) == 1
    assert (await Call.get(id=call_id)).sentiment == "positive"


async def test_a_call_no_session_of_this_process_holds_fires_at_once(hooks_client, hooks_server, hook):
    """The dialer's row, ended by a callback or on another instance: nothing to wait for here."""
    platform = hooks_server.platform
    await subscribe(hooks_client, hook, "/elsewhere", events=["call.ended", "call.no_answer"])
    call = await Call.create(
        id=new_id("cal"),
        organisation_id=hooks_client.organisation_id,
        call_type="outbound",
        to_number="+14155550192",
        status="ringing",
        provider_call_id=secrets.token_hex(8),
    )
    await platform.reporter.ended(
        call.id, CallEnd(outcome="no-answer", ended_at=now(), duration_seconds=0, end_reason="busy")
    )
    received = await hook.wait_for("/elsewhere", 2)
    assert sorted(item.json["event"] for item in received) == ["call.ended", "call.no_answer"]
    ended = next(item.json for item in received if item.json["event"] == "call.ended")
    assert set(ended["data"]) == FULL
    assert (ended["data"]["transcript"], ended["data"]["recording_url"], ended["data"]["started_at"]) == (
        [],
        None,
        None,
    )
    await platform.reporter.analysed(call.id, CallAnalysis(summary="busy"))
    await asyncio.sleep(0.3)
    assert len(hook.on("/elsewhere")) == 2
