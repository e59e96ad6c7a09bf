"""Issue 16 §3 on the console: a call page shows the tools the agent called in the transcript timeline and
the callbacks the caller asked for; the campaign board lists a flow's queued callbacks."""

from __future__ import annotations

from playwright.async_api import expect

from app.tools.records import InvocationRecord, ToolStatus
from tests.calls.conftest import finished_call
from tests.console.conftest import open_console
from tests.dialer.conftest import make_flow

AGENT = {"name": "Aria", "role": "Sales"}


async def test_tool_calls_and_callbacks_show_on_the_call_page_and_the_board(page, server, client):
    platform = server.platform
    agent = (await client.post("/agents", json=AGENT)).body
    flow = await make_flow(client, agent, branches=["Region:Nowhere"])
    assert (await client.post(f"/flows/{flow['uuid']}/launch")).status == 200
    customer = (await client.post("/customers", json={"name": "Asha", "phone": "+919800000777"})).body
    call_id = await finished_call(platform, client.organisation_id, flow_id=flow["uuid"], customer_id=customer["uuid"])
    await platform.tool_records.record(
        call_id,
        InvocationRecord("order_status", {"order_id": "123"}, ToolStatus.OK, 180, '{"status":"shipped"}', 3.1, 200),
    )
    await platform.callbacks.schedule(call_id, "tomorrow at 11 am", "wants the brochure first")

    await open_console(page, server, client.token, f"#/calls/{call_id}")
    items = page.get_by_test_id("transcript").locator("li")
    await expect(items).to_have_count(3)
    await expect(items.nth(1)).to_have_attribute("data-kind", "tool")  # between the turns at 0.0 s and 6.2 s
    await expect(items.nth(1)).to_contain_text('order_status({"order_id":"123"}) → ok in 180 ms')
    await expect(page.get_by_test_id("callbacks")).to_contain_text("wants the brochure first")

    await open_console(page, server, client.token, "#/campaigns")
    card = page.get_by_role("article", name="Reactivation")
    await expect(card.get_by_test_id("callbacks")).to_contain_text("Callbacks (1)")
