"""Calls: a filterable list (type, flow, outcome, sentiment, dates, a customer search) and a call page with
its transcript, the recording player on the REST recording route with ?token=, extraction and QMS scores,
and the webhook deliveries the call's events fired."""

from __future__ import annotations

import asyncio
import io
import wave
from datetime import timedelta

from playwright.async_api import expect

from app.calls.contract import CallAnalysis, CallEnd, Speaker
from tests.calls.conftest import days_ago, finished_call, now, start_call
from tests.console.conftest import console_url, open_console, screenshot_path
from tests.dialer.conftest import make_flow
from tests.webhooks.conftest import hook, hooks_client, hooks_server, receiver  # noqa: F401 (fixtures)
from tests.webhooks.test_delivery import subscribe


def rows(page):
    return page.get_by_test_id("calls").locator("tbody tr")


async def customer(client, name, phone):
    created = await client.post("/customers", json={"name": name, "phone": phone})
    assert created.status == 201, created.body
    return created.body["uuid"]


async def test_the_list_filters_by_outcome_type_customer_and_date(page, server, client):
    platform, organisation = server.platform, client.organisation_id
    priya = await customer(client, "Priya Nair", "+919800000101")
    rahul = await customer(client, "Rahul Menon", "+919800000102")
    connected = await finished_call(platform, organisation, customer_id=rahul, outcome="connected")
    voicemail = await finished_call(platform, organisation, customer_id=rahul, outcome="voicemail", sentiment=None)
    inbound = await finished_call(platform, organisation, customer_id=priya, call_type="inbound", sentiment="negative")
    old = await finished_call(platform, organisation, customer_id=priya, created_at=days_ago(10))

    await open_console(page, server, client.token, "#/calls")
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–4 of 4")
    await page.screenshot(path=screenshot_path("calls"))

    await page.get_by_label("Outcome").select_option("voicemail")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–1 of 1")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page).first).to_have_attribute("data-call", voicemail)

    await page.get_by_role("button", name="Clear").click()
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–4 of 4")
    await page.get_by_label("Type").select_option("inbound")
    await page.get_by_label("Sentiment").select_option("negative")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–1 of 1")
    await expect(rows(page).first).to_have_attribute("data-call", inbound)

    await page.get_by_role("button", name="Clear").click()
    await page.get_by_label("Customer").fill("Priya")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–2 of 2 for Priya Nair")
    await page.get_by_label("From").fill((now() - timedelta(days=1)).date().isoformat())
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–1 of 1 for Priya Nair")
    assert {await row.get_attribute("data-call") for row in await rows(page).all()} == {inbound}
    assert old and connected

    await page.get_by_label("To", exact=True).fill((now() - timedelta(days=5)).date().isoformat())
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_role("alert")).to_have_text("date_from must not be after date_to")


async def test_a_customer_search_with_several_matches_asks_which(page, server, client):
    first = await customer(client, "Anil Kumar", "+919800000201")
    await customer(client, "Anil Verma", "+919800000202")
    await finished_call(server.platform, client.organisation_id, customer_id=first)
    await open_console(page, server, client.token, "#/calls")
    await page.get_by_label("Customer").fill("Anil")
    await page.get_by_role("button", name="Apply").click()
    await page.get_by_role("button", name="Anil Kumar (+919800000201)").click()
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–1 of 1 for Anil Kumar")
    await page.get_by_label("Customer").fill("Nobody Here")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_role("alert")).to_have_text("No customer matches “Nobody Here”.")


async def delivered(client, call_id: str, count: int) -> None:
    """The receiver answers before the worker logs the attempt: wait for the log, as the page reads it."""
    query = "query($id: ID!) { callWebhookDeliveries(callUuid: $id) { status } }"
    for _ in range(100):
        found = (await client.graphql(query, {"id": call_id}))["data"]["callWebhookDeliveries"]
        if [item["status"] for item in found] == ["delivered"] * count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"deliveries not settled: {found}")


def speech_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x10\x00\xf0\xff" * int(rate * seconds / 2))
    return buffer.getvalue()


async def test_the_call_page_shows_transcript_recording_extraction_and_deliveries(
    page, hooks_server, hooks_client, hook
):
    platform, client = hooks_server.platform, hooks_client
    await subscribe(client, hook, "/crm", events=["call.started", "call.ended"])
    key = f"recordings/{client.organisation_id}/console.wav"
    await platform.blob_store.put(key, speech_wav())
    call_id = await start_call(platform, client.organisation_id)
    await platform.reporter.transcript(call_id, Speaker.AGENT, "Hi, this is Aria from Luminary.", 0.0)
    await platform.reporter.transcript(call_id, Speaker.CUSTOMER, "I'd like the oak desk delivered.", 3.5)
    await platform.reporter.ended(
        call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=64, recording_path=key)
    )
    await platform.reporter.analysed(
        call_id,
        CallAnalysis(
            summary="Wants the oak desk.",
            sentiment="positive",
            key_details={
                "extraction": {"requirement": {"product_category": "oak desk", "budget": 850}},
                "qms_scores": {"opening": 3, "energy": 2, "probing": 1},
            },
        ),
    )
    await hook.wait_for("/crm", 2)
    await delivered(client, call_id, 2)

    await open_console(page, hooks_server, client.token, "#/calls")
    await page.locator(f"tr[data-call='{call_id}']").get_by_role("link").click()
    await expect(page).to_have_url(console_url(hooks_server, f"#/calls/{call_id}"))
    transcript = page.get_by_test_id("transcript")
    await expect(transcript.locator("li.turn")).to_have_count(2)
    await expect(transcript.locator("li.turn.customer")).to_contain_text("I'd like the oak desk delivered.")
    await expect(page.get_by_test_id("call-facts")).to_contain_text("Outcomeconnected")
    await expect(page.get_by_test_id("summary")).to_contain_text("Wants the oak desk.")

    audio = page.get_by_test_id("recording")
    assert await audio.get_attribute("src") == (
        f"{hooks_server.base_url}/api/voice/calls/{call_id}/recording?token={client.token}"
    )
    duration = await audio.evaluate("""audio => new Promise((resolve, reject) => {
        audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
        audio.addEventListener('error', () => reject(new Error('the recording did not load')));
        audio.preload = 'metadata'; audio.load(); })""")
    assert abs(duration - 1.0) < 0.05

    extraction = page.get_by_test_id("extraction")
    await expect(extraction).to_contain_text("product category")
    await expect(extraction).to_contain_text("oak desk")
    await expect(page.get_by_test_id("qms").locator("tr", has_text="probing")).to_contain_text("1")

    deliveries = page.get_by_test_id("deliveries").locator("tbody tr")
    await expect(deliveries).to_have_count(2)
    await expect(deliveries.nth(0)).to_contain_text("call.started/crmdelivered1200")
    await expect(deliveries.nth(1)).to_contain_text("call.ended/crmdelivered1200")
    await expect(page.locator("main")).not_to_contain_text("null")
    await page.screenshot(path=screenshot_path("call"), full_page=True)


async def test_an_unknown_call_says_so(page, server, client):
    await open_console(page, server, client.token, "#/calls/cal_000000000000")
    await expect(page.get_by_role("alert")).to_have_text("Call not found")


async def test_the_list_pages_by_25(page, server, client):
    ids = [await finished_call(server.platform, client.organisation_id, transcript=False) for _ in range(27)]
    await open_console(page, server, client.token, "#/calls")
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–25 of 27")
    await expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    await page.get_by_role("button", name="Next").click()
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 26–27 of 27")
    assert [await row.get_attribute("data-call") for row in await rows(page).all()] == ids[1::-1]  # the oldest two
    await expect(page.get_by_role("button", name="Next")).to_be_disabled()
    await page.get_by_role("button", name="Previous").click()
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–25 of 27")


async def test_the_list_filters_by_flow(page, server, client):
    agent = (await client.post("/agents", json={"name": "Aria", "role": "Sales"})).body
    spring = await make_flow(client, agent, name="Spring sale")
    winback = await make_flow(client, agent, name="Win-back")
    mine = await finished_call(server.platform, client.organisation_id, flow_id=spring["uuid"])
    await finished_call(server.platform, client.organisation_id, flow_id=winback["uuid"])
    await open_console(page, server, client.token, "#/calls")
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–2 of 2")
    await page.get_by_label("Flow").select_option(label="Spring sale")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_test_id("calls-summary")).to_have_text("Calls 1–1 of 1")
    await expect(rows(page).first).to_have_attribute("data-call", mine)
