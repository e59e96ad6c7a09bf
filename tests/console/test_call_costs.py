"""Issue 17 on screen: the call page draws a waterfall under each measured agent reply (interrupted ones
marked) and the cost breakdown; the campaign board shows cost per connected call and median voice-to-voice
per flow, charted over the campaign's days."""

from __future__ import annotations

from playwright.async_api import expect

from app.billing.usage import CallUsage, ProviderUse
from app.calls.contract import CallAnalysis, CallEnd, Speaker
from app.latency.marks import TurnProviders
from app.latency.summary import summarise
from app.latency.turns import TurnLatency
from tests.calls.conftest import now, start_call
from tests.console.conftest import open_console, screenshot_path
from tests.console.test_campaigns import board

PROVIDERS = TurnProviders("sarvam", "openai", "sarvam")
FIRST = TurnLatency(
    voice_to_voice_ms=1020,
    endpoint_ms=300,
    stt_ms=140,
    queue_ms=10,
    llm_ms=310,
    sentence_ms=60,
    tts_ms=180,
    send_ms=20,
    heard_ms=2400,
    spoken_ms=2400,
    providers=PROVIDERS,
)
CUT = TurnLatency(
    voice_to_voice_ms=1310,
    endpoint_ms=300,
    stt_ms=160,
    queue_ms=12,
    llm_ms=520,
    sentence_ms=90,
    tts_ms=210,
    send_ms=18,
    interrupted=True,
    heard_ms=800,
    spoken_ms=3100,
    providers=PROVIDERS,
)
USAGE = CallUsage(
    telephony_seconds=95,
    stt_audio_seconds=7.5,
    tts_characters=212,
    llm_input_tokens=1840,
    llm_output_tokens=96,
    tool_calls=1,
    recording_bytes=3_040_000,
    providers={
        "stt": ProviderUse("sarvam", "saaras:v3"),
        "tts": ProviderUse("sarvam", "bulbul:v2"),
        "llm": ProviderUse("openai", "gpt-4o-mini"),
    },
)


async def measured_call(platform, organisation_id: str, flow_id: str | None = None) -> str:
    call_id = await start_call(platform, organisation_id, flow_id=flow_id)
    report = platform.reporter
    await report.transcript(call_id, Speaker.AGENT, "Namaste! This is Aria from Luminary Home.", 0.0)
    await report.transcript(call_id, Speaker.CUSTOMER, "Yes, tell me about the sofa offer.", 4.1)
    await report.transcript(
        call_id, Speaker.AGENT, "The three-seater is twenty percent off this week.", 5.4, latency=FIRST
    )
    await report.transcript(call_id, Speaker.CUSTOMER, "And delivery to Pune?", 9.8)
    await report.transcript(call_id, Speaker.AGENT, "Yes, we deliver", 11.1, latency=CUT)
    await report.ended(
        call_id,
        CallEnd(outcome="connected", ended_at=now(), duration_seconds=95, usage=USAGE, latency=summarise([FIRST, CUT])),
    )
    lead = {"extraction": {"disposition": {"lead_stage": "Interested"}}}
    await report.analysed(
        call_id, CallAnalysis(summary="Interested in the sofa.", sentiment="positive", key_details=lead)
    )
    return call_id


async def test_the_call_page_shows_each_replys_waterfall_and_the_cost(page, server, client):
    call_id = await measured_call(server.platform, client.organisation_id)
    await open_console(page, server, client.token, f"#/calls/{call_id}")
    falls = page.get_by_test_id("waterfall")
    await expect(falls).to_have_count(2)
    await expect(falls.first).to_have_attribute("data-voice-to-voice", "1020")
    await expect(falls.first.locator("g[data-stage='LLM']")).to_have_attribute("data-ms", "310")
    await expect(falls.nth(1).locator("figcaption")).to_have_text(
        "Voice to voice 1310 ms · interrupted: heard 0.8 s of 3.1 s"
    )
    await expect(falls.nth(1)).to_have_attribute("data-interrupted", "")
    summary = page.get_by_test_id("latency-summary")
    await expect(summary).to_contain_text("Voice to voice p50")
    await expect(summary).to_contain_text("1020 ms")
    cost = page.get_by_test_id("cost")
    # default INR prices: 2 started minutes x 0.60, 7.5 s of Sarvam STT, 212 Sarvam characters, tokens at list
    await expect(cost.locator("tr[data-meter='telephony']")).to_contain_text("2 billed min")
    await expect(cost.locator("tr[data-meter='llm_input']")).to_contain_text("openai · gpt-4o-mini")
    await expect(cost.locator("tr[data-meter='tts']")).to_contain_text("(default)")
    await expect(page.get_by_test_id("cost-total")).to_contain_text("1.61")
    await page.get_by_test_id("latency-title").scroll_into_view_if_needed()
    await page.screenshot(path=screenshot_path("call-latency-cost"), full_page=True)


async def test_the_board_shows_cost_per_connected_call_and_median_voice_to_voice(page, server, client):
    flow = await board(client)
    await measured_call(server.platform, client.organisation_id, flow["uuid"])
    await measured_call(server.platform, client.organisation_id, flow["uuid"])
    await open_console(page, server, client.token, "#/campaigns")
    card = page.get_by_role("article", name="Reactivation")
    await expect(card.get_by_test_id("median-v2v")).to_contain_text("1020 ms")
    await expect(card.get_by_test_id("cost-per-connected")).to_contain_text("1.61")
    await expect(card.get_by_test_id("cost-days").locator("figure")).to_have_count(2)
    await card.screenshot(path=screenshot_path("campaign-costs"))
