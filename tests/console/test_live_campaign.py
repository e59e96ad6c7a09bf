"""A real campaign on the simulated carrier, watched from the console: launched with the board's button,
dialled by the scheduler, answered by a synthetic customer over the real Exotel socket, and seen on the
live page as it happens — the call appears and its transcript turns arrive."""

from __future__ import annotations

import asyncio

import pytest_asyncio
from playwright.async_api import expect

from app.calls.channels import live_calls
from app.telephony.simulator import Behaviour, SimulatedCarrier
from tests.console.conftest import open_console
from tests.dialer.conftest import FakeClock, make_customers, make_dialer, make_flow

AGENT = {"name": "Aria", "role": "Sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}}


@pytest_asyncio.fixture
async def carrier(server):
    talking = SimulatedCarrier(
        server.base_url,
        server.platform.simulator_account_sid,
        seed=3,
        realtime=0.2,
        ring_seconds=0.05,
        behaviour=Behaviour(no_answer=0.0, busy=0.0, voicemail=0.0, early_hangup=0.0),
    )
    yield talking
    await talking.aclose()


async def page_subscribed(server, organisation_id: str) -> None:
    """The page's liveCalls subscription reaches the bus a moment after its first query answered (the socket's
    handshake, then the organisation is looked up): a call that starts sooner is never shown as live."""
    channel = live_calls(organisation_id)
    for _ in range(200):
        if server.platform.bus.subscribers(channel):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the live page never subscribed to its organisation's calls")


async def test_a_launched_campaigns_call_is_watched_live(page, server, client, carrier):
    agent = (await client.post("/agents", json=AGENT)).body
    script = await client.post(
        "/scripts",
        json={"name": "s", "opening_line": "Hi, this is Aria from Luminary.", "closing_line": "Thanks, goodbye!"},
    )
    await make_flow(client, agent, time_window=None, script_id=script.body["uuid"], branches=["Branch:West"])
    await make_customers(client, 1, ["Branch:West"])
    await open_console(page, server, client.token, "#/campaigns")
    await page.get_by_role("article", name="Reactivation").get_by_role("button", name="Launch").click()
    await expect(page.get_by_role("alert")).to_have_text("Reactivation: campaign launched.")
    await page.get_by_role("navigation").get_by_role("link", name="Live calls").click()
    await expect(page.get_by_test_id("no-live-calls")).to_be_visible()
    await page_subscribed(server, client.organisation_id)

    dialer = make_dialer(
        server, FakeClock(server.platform.campaigns.clock()), carrier=carrier, organisation_id=client.organisation_id
    )  # the scheduler a platform runs, on our clock
    assert await dialer.tick() == 1
    call = page.get_by_test_id("live-calls").locator("tbody tr")
    await expect(call).to_have_count(1, timeout=20_000)
    await call.get_by_role("link").click()
    transcript = page.get_by_test_id("transcript")
    await expect(transcript.locator("li.turn.agent").first).to_contain_text("Aria from Luminary", timeout=20_000)
    await expect(transcript.locator("li.turn.customer").first).to_be_visible(timeout=20_000)
    await expect(page.get_by_test_id("call-state")).to_contain_text("Call ended", timeout=30_000)
