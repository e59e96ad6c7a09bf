"""Which flow a call belongs to: the called line (however Exotel writes the number), the dialer's
parameters for outbound calls, and everything the session needs from flow, script, agent and customer."""

from __future__ import annotations

from app.calls.reporting import CallType
from app.voice.flow_resolver import FlowResolver, number_candidates
from tests.voice.conftest import create_flow


def test_exotel_numbers_are_tried_as_sent_and_as_e164():
    assert number_candidates("08047112345") == ["08047112345", "+918047112345"]
    assert number_candidates("+918047112345") == ["+918047112345"]
    assert number_candidates(None) == [] and number_candidates("") == []


async def test_an_inbound_line_resolves_in_national_format_with_its_caller(client):
    agent = await client.post("/agents", json={"name": "Aria", "role": "Support", "voice_config": {
        "provider": "sarvam", "speaker": "anushka", "model": "bulbul:v2", "language_code": "hi-IN"}})
    flow = await create_flow(client, recording_disclosure="Recorded.", guardrails=["no_price_fabrication"])
    await client.patch(f"/flows/{flow['uuid']}", json={"voice_agent_id": agent.body["uuid"]})
    customer = await client.post("/customers", json={"name": "Priya", "phone": "+919812345678",
                                                     "preferred_language": "ta", "metadata": {"tier": "gold"}})
    assert customer.status == 201, customer.body
    national = "0" + flow["phone_number"].removeprefix("+91")
    context = await FlowResolver().inbound(national, "09812345678", "AC1", "CA1")
    assert context is not None
    assert (context.call_type, context.flow_id, context.organisation_id) == (CallType.INBOUND, flow["uuid"],
                                                                            client.organisation_id)
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
