"""The simulated carrier against the real server: status callbacks over HTTP, the real /ws/exotel socket,
a synthetic customer spoken with the local TTS; behaviours seeded per customer."""

from __future__ import annotations

import asyncio
import random

from app.db.models import Call
from app.telephony.simulator import CALLBACK_LINE, ORDER_LINES, Behaviour, SimulatedCarrier, has_errand, utterances
from tests.dialer.conftest import FakeClock, agent, make_customers, make_dialer, make_flow  # noqa: F401 (fixture)


async def _until(predicate, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


def _carrier(server, **shares: float) -> SimulatedCarrier:
    behaviour = Behaviour(**{"no_answer": 0.0, "busy": 0.0, "voicemail": 0.0, "early_hangup": 0.0, **shares})
    return SimulatedCarrier(
        server.base_url,
        server.platform.simulator_account_sid,
        seed=3,
        realtime=0.5,
        ring_seconds=0.1,
        behaviour=behaviour,
    )


def test_behaviour_is_seeded():
    one = SimulatedCarrier("http://x", "SIM", seed=11)
    two = SimulatedCarrier("http://x", "SIM", seed=11)
    ids = [f"cst_{n:012d}" for n in range(200)]
    picks = [one.behaviour_of(i) for i in ids]
    assert picks == [two.behaviour_of(i) for i in ids]
    assert {"no-answer", "busy", "voicemail", "early-hangup", "talk"} <= set(picks)


def test_a_customer_with_an_errand_says_it_and_one_who_asked_for_a_callback_talks_as_usual_when_called_back():
    asks = {"product_interest": "floor lamp", "asks_for_callback": True}
    assert utterances("Asha Rao", asks, random.Random(1))[1] == CALLBACK_LINE
    assert CALLBACK_LINE not in utterances("Asha Rao", asks, random.Random(1), called_back=True)
    assert utterances("Ravi Das", {"order_id": "4512"}, random.Random(1))[1] in ORDER_LINES
    assert has_errand(asks) and has_errand({"order_id": "4512"}) and not has_errand({"product_interest": "lamp"})


async def test_unanswered_calls_are_reported_by_status_callback(client, agent, server):
    carrier = _carrier(server, no_answer=1.0)
    clock = FakeClock(server.platform.campaigns.clock())
    dialer = make_dialer(server, clock, carrier=carrier, organisation_id=client.organisation_id)
    flow = await make_flow(client, agent, time_window=None)
    await make_customers(client, 2, ["Region:West"])
    try:
        await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
        assert await dialer.tick() == 2
        await carrier.wait_idle()
        calls = await Call.filter(flow_id=flow["uuid"]).values("outcome", "end_reason", "status")
        assert calls == [{"outcome": "no-answer", "end_reason": "no_answer", "status": "completed"}] * 2
    finally:
        await carrier.aclose()


async def test_an_answered_call_talks_over_the_real_socket(client, agent, server):
    carrier = _carrier(server)
    clock = FakeClock(server.platform.campaigns.clock())
    dialer = make_dialer(server, clock, carrier=carrier, organisation_id=client.organisation_id)
    script = await client.post(
        "/scripts",
        json={"name": "s", "opening_line": "Hi, this is Aria from Luminary.", "closing_line": "Thanks, goodbye!"},
    )
    flow = await make_flow(client, agent, time_window=None, script_id=script.body["uuid"])
    customer = (await make_customers(client, 1, ["Region:West"]))[0]
    await client.patch(f"/customers/{customer['uuid']}", json={"metadata": {"product_interest": "oak desk"}})
    try:
        await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
        await dialer.tick()

        async def ended() -> bool:
            return await Call.filter(flow_id=flow["uuid"], ended_at__isnull=False).exists()

        await _until(ended)
        await carrier.wait_idle()
        call = await Call.get(flow_id=flow["uuid"])
        speakers = [turn["speaker"] for turn in call.transcript]
        assert speakers[0] == "agent" and "customer" in speakers, call.transcript
        assert call.customer_id == customer["uuid"] and call.provider_call_id.startswith("SIMCA")
        clock.advance(seconds=1)
        await dialer.tick()
        from tests.dialer.conftest import job_statuses

        assert await job_statuses(flow["uuid"]) == {"done": 1}
    finally:
        await carrier.aclose()
