"""Issue 12, point 3: an outbound call keeps its own numbers. The dialer records the caller ID as
`from_number` and the customer's phone as `to_number`; Exotel's `start` frame reports `from`/`to` from its
own side (the simulated carrier does the same), and `GET /calls` must still show the dialer's numbers."""

from __future__ import annotations

import asyncio

from app.db.models import Call
from app.telephony.simulator import Behaviour, SimulatedCarrier
from tests.dialer.conftest import FakeClock, agent, make_customers, make_dialer, make_flow  # noqa: F401 (fixture)


async def test_a_simulated_campaign_call_keeps_caller_id_and_customer_phone(client, agent, server):
    behaviour = Behaviour(no_answer=0.0, busy=0.0, voicemail=0.0, early_hangup=0.0)
    carrier = SimulatedCarrier(
        server.base_url,
        server.platform.simulator_account_sid,
        seed=3,
        realtime=0.5,
        ring_seconds=0.1,
        behaviour=behaviour,
    )
    clock = FakeClock(server.platform.campaigns.clock())
    dialer = make_dialer(server, clock, carrier=carrier, organisation_id=client.organisation_id)
    flow = await make_flow(client, agent, time_window=None, phone_number="+918047112399")
    customer = (await make_customers(client, 1, ["Region:West"]))[0]
    try:
        await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
        assert await dialer.tick() == 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while not await Call.filter(flow_id=flow["uuid"], transcript__not=[]).exists():
            assert loop.time() < deadline, "the simulated call never reached the voice socket"
            await asyncio.sleep(0.1)
        await carrier.wait_idle()
    finally:
        await carrier.aclose()
    call = await Call.get(flow_id=flow["uuid"])
    assert call.transcript and call.started_at is not None  # it did go through the voice socket
    listed = await client.get("/calls", params={"flow_uuid": flow["uuid"]})
    assert listed.status == 200, listed.body
    rows = listed.body["calls"] if isinstance(listed.body, dict) else listed.body
    assert [(row["from_number"], row["to_number"]) for row in rows] == [("+918047112399", customer["phone"])]
