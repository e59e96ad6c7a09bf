"""Which flow a call belongs to: the called line (however Exotel writes the number), the dialer's
parameters for outbound calls, and everything the session needs from flow, script, agent and customer."""

from __future__ import annotations

from app.calls.contract import CallType
from app.voice.flow_resolver import FlowResolver, number_candidates
from tests.voice.conftest import create_flow


def test_exotel_numbers_are_tried_as_sent_and_as_e164():
    assert number_candidates("08047112345") == ["08047112345", "+918047112345"]
    assert number_candidates("+918047112345") == ["+918047112345"]
    assert number_candidates(None) == [] and number_candidates("") == []


async def test_an_inbound_line_resolves_in_national_format_with_its_caller(client):
    agent = await client.post(
        "/agents",
        json={
            "name": "Aria",
            "role": "Support",
            "voice_config": {
                "provider": "sarvam",
                "speaker": "anushka",
                "model": "bulbul:v2",
                "language_code": "hi-IN",
            },
        },
    )
    flow = await create_flow(client, recording_disclosure="Recorded.", guardrails=["no_price_fabrication"])
    await client.patch(f"/flows/{flow['uuid']}", json={"voice_agent_id": agent.body["uuid"]})
    customer = await client.post(
        "/customers",
        json={"name": "Priya", "phone": "+919812345678", "preferred_language": "ta", "metadata": {"tier": "gold"}},
    )
    assert customer.status == 201, customer.body
    national = "0" + flow["phone_number"].removeprefix("+91")
    context = await FlowResolver().inbound(national, "09812345678", "AC1", "CA1")
    assert context is not None
    assert (context.call_type, context.flow_id, context.organisation_id) == (
        CallType.INBOUND,
        flow["uuid"],
        client.organisation_id,
    )
    assert context.recording_disclosure == "Recorded." and context.guardrails == ("no_price_fabrication",)
    assert context.persona_prompt == "You are Aria." and context.script.opening_line == "Hi, Aria here."
    assert context.script.faq[0].answer == "Yes, within five days."
    assert (context.voice.provider, context.voice.speaker, context.agent_name) == ("sarvam", "anushka", "Aria")
    assert context.customer.id == customer.body["uuid"] and context.customer.metadata == {"tier": "gold"}
    assert context.language == "ta"  # the customer's preferred language wins over the agent's voice


async def test_paused_lines_and_unknown_numbers_resolve_to_nothing(client):
    flow = await create_flow(client)
    await client.post(f"/flows/{flow['uuid']}/toggle")
    assert await FlowResolver().inbound(flow["phone_number"], None) is None
    assert await FlowResolver().inbound("+910000000001", None) is None


async def test_the_account_check_hook_can_refuse_a_call(client):
    class RefuseAll:
        async def allows(self, account_sid, organisation_id) -> bool:
            return False

    flow = await create_flow(client)
    assert await FlowResolver(RefuseAll()).inbound(flow["phone_number"], None, "AC_other") is None


async def test_the_browser_test_only_sees_the_organisations_own_flows(client, other_client):
    flow = await create_flow(client)
    assert (await FlowResolver().test(client.organisation_id, flow["uuid"])).call_type == CallType.TEST
    assert await FlowResolver().test(other_client.organisation_id, flow["uuid"]) is None


def test_outbound_numbers_are_the_recorded_ones_whatever_the_stream_says():
    from app.voice.flow_resolver import outbound_numbers

    recorded = {"from_number": "+918047112345", "to_number": "+919812345670"}
    for stream in (("+919812345670", "+918047112345"), ("+918047112345", "+919812345670"), (None, "08047112345")):
        assert outbound_numbers(recorded, None, None, stream) == ("+918047112345", "+919812345670")
    # nothing recorded: the flow's line and the customer's phone; the stream only fills gaps, in either order
    assert outbound_numbers({}, "+918047112345", "+919812345670", ("x", "y")) == ("+918047112345", "+919812345670")
    assert outbound_numbers({}, "+918047112345", None, ("08047112345", "+919812345670")) == (
        "+918047112345",
        "+919812345670",
    )
    assert outbound_numbers({}, "+918047112345", None, ("+919812345670", "+918047112345")) == (
        "+918047112345",
        "+919812345670",
    )
    assert outbound_numbers({}, None, "+919812345670", ("+919812345670", "+918047112345")) == (
        "+918047112345",
        "+919812345670",
    )


async def test_an_outbound_call_keeps_the_dialers_numbers_when_the_stream_swaps_them(client):
    from app.db.models import Call
    from app.ids import new_id

    flow = await create_flow(client, kind="outbound")
    customer = await client.post("/customers", json={"name": "Priya", "phone": "+919812345671"})
    assert customer.status == 201, customer.body
    call = await Call.create(
        id=new_id("cal"),
        organisation_id=client.organisation_id,
        call_type="outbound",
        flow_id=flow["uuid"],
        customer_id=customer.body["uuid"],
        to_number="+919812345671",
        from_number="+918047112345",
        status="ringing",
    )
    params = {"flow_id": flow["uuid"], "call_id": call.id, "customer_id": customer.body["uuid"]}
    for stream_from, stream_to in (("+919812345671", "08047112345"), ("08047112345", "+919812345671"), ("", "")):
        context = await FlowResolver().outbound(params, stream_from, stream_to, "AC1", "CA1")
        assert (context.from_number, context.to_number) == ("+918047112345", "+919812345671")
        assert context.customer.id == customer.body["uuid"] and context.call_id == call.id
