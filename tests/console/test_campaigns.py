"""The campaign board: flows with their metrics and launch / stop / pause, customers per branch, a CSV
import with a progress bar that changes the counts, and the call statistics drawn as SVG charts."""

from __future__ import annotations

from playwright.async_api import expect

from tests.calls.conftest import finished_call
from tests.console.conftest import open_console, screenshot_path
from tests.dialer.conftest import make_customers, make_flow

AGENT = {"name": "Aria", "role": "Sales", "voice_config": {"provider": "sarvam", "speaker": "shubh"}}
CSV = (
    "name,phone,email,tags\n"
    "Asha Rao,+919812300001,asha@example.com,Branch:North\n"
    "Vikram Shah,+919812300002,,Branch:North\n"
    'Meera Iyer,+919812300003,,"Branch:North,VIP"\n'
    "No Phone,,,Branch:North\n"
)


async def board(client):
    agent = (await client.post("/agents", json=AGENT)).body
    flow = await make_flow(client, agent, branches=["Branch:North"])
    await make_customers(client, 1, ["Branch:North"])
    await make_customers(client, 2, ["Branch:South"])
    return flow


def branch_count(page, branch: str):
    return page.locator(f"tr[data-branch='{branch}'] td")


async def test_flows_launch_stop_and_pause_from_the_board(page, server, client):
    flow = await board(client)
    await finished_call(server.platform, client.organisation_id, flow_id=flow["uuid"], outcome="connected")
    await open_console(page, server, client.token, "#/campaigns")
    card = page.get_by_role("article", name="Reactivation")
    await expect(card.get_by_test_id("flow-status")).to_have_text("active")
    await expect(card.locator(".metrics")).to_contain_text("Total calls1")

    await card.get_by_role("button", name="Launch").click()
    await expect(page.get_by_role("alert")).to_have_text("Reactivation: campaign launched.")
    await card.get_by_role("button", name="Stop").click()
    await expect(page.get_by_role("alert")).to_have_text("Reactivation: campaign stopped.")
    await card.get_by_role("button", name="Stop").click()
    await expect(page.get_by_role("alert")).to_have_text("Reactivation: Campaign is not running")  # the 409
    await card.get_by_role("button", name="Pause").click()
    await expect(card.get_by_test_id("flow-status")).to_have_text("paused")
    stored = await client.get(f"/flows/{flow['uuid']}")
    assert stored.body["status"] == "paused"


async def test_importing_a_csv_changes_the_customer_counts(page, server, client, tmp_path):
    await board(client)
    await open_console(page, server, client.token, "#/campaigns")
    await expect(page.get_by_test_id("customer-total")).to_have_text("3")
    await expect(branch_count(page, "Branch:North")).to_have_text("1")
    await expect(branch_count(page, "Branch:South")).to_have_text("2")

    upload = tmp_path / "north.csv"
    upload.write_text(CSV)
    await page.get_by_label("CSV file").set_input_files(str(upload))
    await page.get_by_role("button", name="Import").click()
    await expect(page.get_by_role("status").filter(has_text="Imported")).to_have_text(
        "Imported 3, updated 0, skipped 1. line 5: phone is required"
    )
    await expect(page.get_by_test_id("import-progress")).to_have_js_property("value", 1)
    await expect(page.get_by_test_id("customer-total")).to_have_text("6")
    await expect(branch_count(page, "Branch:North")).to_have_text("4")
    await expect(branch_count(page, "Branch:South")).to_have_text("2")
    counted = await client.graphql('{ customerCount(tags: ["Branch:North"]) { count } }')
    assert counted["data"]["customerCount"]["count"] == 4


async def test_a_file_larger_than_a_json_request_is_uploaded_as_a_file(page, server, client, tmp_path):
    """The console sends the CSV as a GraphQL multipart upload, so the 1 MiB JSON body limit does not apply."""
    await board(client)
    await open_console(page, server, client.token, "#/campaigns")
    await expect(page.get_by_test_id("customer-total")).to_have_text("3")
    rows = "".join(f"Lead {n},+9197{n:08d},,Branch:East,hi,\n" for n in range(30_000))
    upload = tmp_path / "big.csv"
    upload.write_text("name,phone,email,tags,preferred_language,metadata\n" + rows)
    assert upload.stat().st_size > 1024 * 1024
    await page.get_by_label("CSV file").set_input_files(str(upload))
    await page.get_by_role("button", name="Import").click()
    await expect(page.get_by_role("status").filter(has_text="Imported")).to_have_text(
        "Imported 30000, updated 0, skipped 0.", timeout=60_000
    )
    await expect(page.get_by_test_id("customer-total")).to_have_text("30003")


async def test_a_broken_file_is_refused_and_writes_nothing(page, server, client, tmp_path):
    await board(client)
    await open_console(page, server, client.token, "#/campaigns")
    upload = tmp_path / "broken.csv"
    upload.write_text("name,phone,colour\nA,+919812300009,red\n")
    await page.get_by_label("CSV file").set_input_files(str(upload))
    await page.get_by_role("button", name="Import").click()
    await expect(page.get_by_role("status").filter(has_text="Import failed")).to_have_text(
        "Import failed: file: unknown CSV column 'colour' "
        "(columns: name, phone, email, tags, preferred_language, metadata)"
    )
    await expect(page.get_by_test_id("customer-total")).to_have_text("3")


async def test_call_statistics_are_charted_for_all_flows_or_one(page, server, client):
    flow = await board(client)
    platform, organisation = server.platform, client.organisation_id
    for outcome, sentiment in [
        ("connected", "positive"),
        ("connected", "negative"),
        ("voicemail", None),
        ("no-answer", None),
    ]:
        await finished_call(platform, organisation, flow_id=flow["uuid"], outcome=outcome, sentiment=sentiment)
    await finished_call(platform, organisation, outcome="failed", sentiment="neutral")  # no flow
    await open_console(page, server, client.token, "#/campaigns")
    outcomes = page.get_by_role("img", name="Outcomes")
    sentiment = page.get_by_role("img", name="Sentiment")
    await expect(outcomes.locator("g[data-label='Connected']")).to_have_attribute("data-value", "2")
    await expect(outcomes.locator("g[data-label='Failed']")).to_have_attribute("data-value", "1")
    await expect(sentiment.locator("g[data-label='Neutral']")).to_have_attribute("data-value", "1")
    await expect(page.get_by_test_id("statistics-totals")).to_contain_text("5 calls")
    await expect(page.locator("main")).not_to_contain_text("null")
    await page.screenshot(path=screenshot_path("campaigns"), full_page=True)

    await page.get_by_label("Flow", exact=True).select_option(label="Reactivation")
    await expect(page.get_by_test_id("statistics-totals")).to_contain_text("4 calls · connect rate 50%")
    await expect(outcomes.locator("g[data-label='Failed']")).to_have_attribute("data-value", "0")
    await expect(sentiment.locator("g[data-label='Negative']")).to_have_attribute("data-value", "1")
