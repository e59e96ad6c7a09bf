"""Live calls: the list follows the liveCalls subscription (calls appear when they start, show their new
status when it changes, and leave when they end); a call's page streams its transcript, status changes and end
through callEvents, and ends or
transfers the call with the workflow mutations, showing their refusals.

Calls are produced the way the voice pipeline produces them, through the platform's CallReporter; a small
stand-in session obeys the end command as a real one does."""

from __future__ import annotations

import asyncio
import contextlib

import pytest_asyncio
from playwright.async_api import expect

from app.calls.channels import live_calls
from app.calls.contract import CallEnd, Speaker
from tests.calls.conftest import now, start_call
from tests.console.conftest import open_console, screenshot_path, until, watched


@pytest_asyncio.fixture
async def platform(server):
    return server.platform


async def test_a_call_appears_live_streams_its_transcript_and_leaves_when_it_ends(page, server, client, platform):
    await open_console(page, server, client.token, "#/live")
    await expect(page.get_by_test_id("no-live-calls")).to_be_visible()
    await until(lambda: watched(platform, live_calls(client.organisation_id)))

    call_id = await start_call(platform, client.organisation_id, to_number="+14155550192")
    row = page.locator(f"tr[data-call='{call_id}']")
    await expect(row).to_contain_text("+14155550192")
    await expect(row).to_contain_text("in-progress")
    await page.screenshot(path=screenshot_path("live-calls"))

    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hi, this is Aria from Luminary.", 0.0)
    await row.get_by_role("link", name=call_id).click()
    transcript = page.get_by_test_id("transcript")
    await expect(transcript.locator("li.turn.agent")).to_contain_text("Hi, this is Aria from Luminary.")  # replay
    await expect(page.get_by_test_id("call-state")).to_contain_text("In progress")

    await platform.reporter.transcript(call_id, Speaker.CUSTOMER, "Yes, I was looking at the oak desk.", 4.2)
    await expect(transcript.locator("li.turn.customer")).to_contain_text("Yes, I was looking at the oak desk.")
    await expect(transcript.locator("li.turn.customer .speaker")).to_have_text("Customer")
    await platform.reporter.status(call_id, "transfer_initiated", {"target": "sales_specialist"})
    await expect(transcript.locator("li.note")).to_have_text("Transfer to sales_specialist started")
    await page.screenshot(path=screenshot_path("live-call"))

    await platform.reporter.ended(call_id, CallEnd(outcome="warm_transfer", ended_at=now(), duration_seconds=42))
    await expect(page.get_by_test_id("call-state")).to_have_text("Call ended: warm_transfer, 42 s")
    await expect(page.get_by_test_id("end-call")).to_be_disabled()
    assert await transcript.locator("li.turn").count() == 2  # no turn shown twice across replay and live

    await page.get_by_role("link", name="Live calls").first.click()
    await expect(page.get_by_test_id("no-live-calls")).to_be_visible()


async def test_a_call_that_ends_while_the_list_is_open_leaves_it(page, server, client, platform):
    first = await start_call(platform, client.organisation_id)
    await open_console(page, server, client.token, "#/live")
    await expect(page.locator(f"tr[data-call='{first}']")).to_be_visible()  # from the liveCalls query
    await until(lambda: watched(platform, live_calls(client.organisation_id)))
    await platform.reporter.ended(first, CallEnd(outcome="connected", ended_at=now(), duration_seconds=5))
    await expect(page.locator(f"tr[data-call='{first}']")).to_have_count(0)
    await expect(page.get_by_role("status")).to_contain_text(f"Call {first} ended (connected)")


async def test_the_list_shows_a_live_calls_transfer_as_it_starts(page, server, client, platform):
    call_id = await start_call(platform, client.organisation_id)
    await open_console(page, server, client.token, "#/live")
    row = page.locator(f"tr[data-call='{call_id}']")
    await expect(row.locator("td.status")).to_have_text("in-progress")  # from the liveCalls query
    await until(lambda: watched(platform, live_calls(client.organisation_id)))
    await platform.reporter.status(call_id, "transfer_initiated", {"target": "sales_specialist"})
    await expect(row.locator("td.status")).to_have_text("Transfer to sales_specialist started")
    await platform.reporter.status(call_id, "on_hold")
    await expect(row.locator("td.status")).to_have_text("on_hold")
    await platform.reporter.ended(call_id, CallEnd(outcome="warm_transfer", ended_at=now(), duration_seconds=9))
    await expect(row).to_have_count(0)


@contextlib.asynccontextmanager
async def obeying_session(platform, call_id: str):
    """Stands in for the voice session: ends the call when an end command arrives, as the pipeline does."""
    commands = platform.reporter.commands(call_id)

    async def obey() -> None:
        async for command in commands:
            if command.kind == "end":
                await platform.reporter.ended(
                    call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=7, end_reason=command.reason)
                )
                return

    task = asyncio.create_task(obey())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await commands.aclose()


async def test_ending_a_live_call_from_its_page(page, server, client, platform):
    call_id = await start_call(platform, client.organisation_id)
    async with obeying_session(platform, call_id) as session:
        await open_console(page, server, client.token, f"#/live/{call_id}")
        await expect(page.get_by_test_id("call-state")).to_contain_text("In progress")
        await page.get_by_test_id("end-call").click()
        await asyncio.wait_for(session, 5)
        await expect(page.get_by_test_id("call-state")).to_have_text("Call ended: connected, 7 s")
    await expect(page.get_by_test_id("end-call")).to_be_disabled()
    listed = await client.graphql("query($id: ID!) { call(uuid: $id) { status endReason } }", {"id": call_id})
    assert listed["data"]["call"] == {"status": "completed", "endReason": "workflow_close"}


async def test_transfer_refusals_are_shown(page, server, client, platform):
    created = await client.graphql(
        'mutation { createHumanQueue(input: {name: "sales_specialist", transferNumber: "+14155550100"}) { uuid } }'
    )
    assert not created.get("errors"), created
    call_id = await start_call(platform, client.organisation_id)
    await open_console(page, server, client.token, f"#/live/{call_id}")
    await expect(page.get_by_label("Queue", exact=True)).to_have_value("sales_specialist")
    await page.get_by_label("Brief for the agent").fill("Ready to buy the oak desk today.")
    await page.get_by_test_id("transfer-call").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "Could not transfer the call: No agents available in target queue"
    )  # 503

    added = await client.graphql(
        'mutation($q: ID!) { addHumanAgent(queueUuid: $q, input: {name: "Sam", presence: "available"}) { uuid } }',
        {"q": created["data"]["createHumanQueue"]["uuid"]},
    )
    assert not added.get("errors"), added
    commands = platform.reporter.commands(call_id)
    await page.get_by_test_id("transfer-call").click()
    await expect(page.get_by_test_id("call-state")).to_have_text("Transfer to sales_specialist requested…")
    command = await asyncio.wait_for(commands.__anext__(), 5)
    assert (command.kind, command.target, command.agent_brief) == (
        "transfer",
        "sales_specialist",
        "Ready to buy the oak desk today.",
    )
    await commands.aclose()
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=3))
    await expect(page.get_by_test_id("end-call")).to_be_disabled()


async def test_ending_a_call_that_is_no_longer_active_shows_the_409(page, server, client, platform):
    call_id = await start_call(platform, client.organisation_id)
    await open_console(page, server, client.token, f"#/live/{call_id}")
    await expect(page.get_by_test_id("call-state")).to_contain_text("In progress")
    await platform.live.remove(client.organisation_id, call_id)  # its instance went away without reporting the end
    await page.get_by_test_id("end-call").click()
    await expect(page.get_by_role("alert")).to_have_text("Could not end the call: Call is not currently active")
    await expect(page.get_by_test_id("end-call")).to_be_enabled()
    await platform.reporter.ended(call_id, CallEnd(outcome="failed", ended_at=now(), duration_seconds=3))
