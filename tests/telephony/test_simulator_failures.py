"""A simulated call that cannot reach a voice session ends at once as `failed`, with the reason, its end
event, and its dial slot freed; it does not sit in progress until the stale timeout."""

from __future__ import annotations

from aiohttp import web

from app.db.models import Call
from app.telephony.simulator import STATUS_PATH, Behaviour, SimulatedCarrier
from tests.conftest import free_port
from tests.dialer.conftest import FakeClock, agent, job_statuses, make_customers, make_dialer, make_flow  # noqa: F401
from tests.fakes.loopback import serve

TALK = Behaviour(no_answer=0.0, busy=0.0, voicemail=0.0, early_hangup=0.0)


async def _campaign(client, agent, server, carrier: SimulatedCarrier) -> tuple[dict, object, FakeClock]:
    clock = FakeClock(server.platform.campaigns.clock())
    dialer = make_dialer(server, clock, carrier=carrier, organisation_id=client.organisation_id)
    flow = await make_flow(client, agent, time_window=None)
    await make_customers(client, 2, ["Region:West"])
    await dialer.campaigns.launch(client.organisation_id, flow["uuid"])
    assert await dialer.tick() == 2
    await carrier.wait_idle()
    return flow, dialer, clock


async def _assert_failed_and_freed(flow, dialer, clock, server, reason: str, detail: str) -> None:
    calls = await Call.filter(flow_id=flow["uuid"]).values(
        "id", "outcome", "end_reason", "status", "summary", "ended_at"
    )
    assert len(calls) == 2
    for call in calls:
        assert (call["status"], call["outcome"], call["end_reason"]) == ("failed", "failed", reason), call
        assert detail in call["summary"] and call["ended_at"] is not None
        events = await server.platform.call_events.replay(call["id"])
        assert any(event["type"] == "end" and event["outcome"] == "failed" for event in events), events
    clock.advance(seconds=1)
    await dialer.tick()  # settles the jobs: the flow's dial slots are free and the campaign can complete
    assert await job_statuses(flow["uuid"]) == {"failed": 2}


async def test_an_unreachable_server_fails_the_call_at_once(client, agent, server):
    nowhere = f"http://127.0.0.1:{free_port()}"
    carrier = SimulatedCarrier(
        nowhere,
        server.platform.simulator_account_sid,
        seed=3,
        realtime=0.2,
        ring_seconds=0.05,
        behaviour=TALK,
        reporter=server.platform.reporter,
    )
    try:
        flow, dialer, clock = await _campaign(client, agent, server, carrier)
        await _assert_failed_and_freed(flow, dialer, clock, server, "status_callback_failed", nowhere)
    finally:
        await carrier.aclose()


async def test_a_refused_voice_socket_fails_the_call_with_the_reason(client, agent, server):
    # /ws/exotel checks the account the credentials name: an account this server does not know is refused
    carrier = SimulatedCarrier(
        server.base_url,
        "SIM-not-this-servers-account",
        seed=3,
        realtime=0.2,
        ring_seconds=0.05,
        behaviour=TALK,
        reporter=server.platform.reporter,
    )
    try:
        flow, dialer, clock = await _campaign(client, agent, server, carrier)
        await _assert_failed_and_freed(flow, dialer, clock, server, "stream_refused", "/ws/exotel")
    finally:
        await carrier.aclose()


async def test_a_voice_socket_that_cannot_be_opened_fails_the_call_with_the_reason(client, agent, server):
    """The callbacks are answered, but nothing takes the voice socket (a 404 to the WebSocket handshake)."""

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post(STATUS_PATH, status)
    runner, base = await serve(app)
    carrier = SimulatedCarrier(
        base,
        server.platform.simulator_account_sid,
        seed=3,
        realtime=0.2,
        ring_seconds=0.05,
        behaviour=TALK,
        reporter=server.platform.reporter,
    )
    try:
        flow, dialer, clock = await _campaign(client, agent, server, carrier)
        await _assert_failed_and_freed(
            flow, dialer, clock, server, "stream_connect_failed", "could not open the voice socket"
        )
    finally:
        await carrier.aclose()
        await runner.cleanup()
