"""Usage x prices: the carrier's billing rule, the most specific price, currency rounding, unpriced meters."""

from __future__ import annotations

from app.billing.costing import cost_of
from app.billing.leads import marks_lead
from app.billing.meters import Meter, TelephonyBilling, billed_minutes
from app.billing.prices import DEFAULT_TABLE, Price, PriceTable
from app.billing.usage import CallUsage, ProviderUse, UsageCounter, estimate_tokens


def test_a_started_minute_is_billed_whole_and_per_second_billing_is_exact():
    assert [billed_minutes(s, TelephonyBilling.PER_STARTED_MINUTE) for s in (0, 1, 60, 61, 125)] == [0, 1, 1, 2, 3]
    assert billed_minutes(90, TelephonyBilling.PER_SECOND) == 1.5


def test_each_meter_is_priced_by_its_most_specific_row():
    table = PriceTable(
        currency="USD",
        prices=(
            Price(Meter.LLM_INPUT, 1.0),
            Price(Meter.LLM_INPUT, 2.0, "openai"),
            Price(Meter.LLM_INPUT, 3.0, "openai", "gpt-4o"),
            Price(Meter.TELEPHONY, 0.01),
        ),
    )
    usage = CallUsage(
        telephony_seconds=61, llm_input_tokens=500_000, providers={"llm": ProviderUse("openai", "gpt-4o-mini")}
    )
    cost = cost_of(usage, table)
    lines = {line.meter: line for line in cost.lines}
    assert (lines["llm_input"].unit_price, lines["llm_input"].quantity, lines["llm_input"].amount) == (2.0, 0.5, 1.0)
    assert (lines["telephony"].quantity, lines["telephony"].amount) == (2.0, 0.02)
    assert cost.currency == "USD" and cost.total == 1.02
    # USD has no default prices: tokens out were used but nothing prices them
    usage = CallUsage(llm_output_tokens=10)
    assert [line.unpriced for line in cost_of(usage, table).lines if line.meter == "llm_output"] == [True]


def test_the_default_table_prices_a_sarvam_call_in_inr_and_says_so():
    usage = CallUsage(
        telephony_seconds=95,
        stt_audio_seconds=30.0,
        tts_characters=2000,
        providers={
            "stt": ProviderUse("sarvam"),
            "tts": ProviderUse("sarvam", "bulbul:v2"),
            "llm": ProviderUse("offline"),
        },
    )
    cost = cost_of(usage, DEFAULT_TABLE)
    lines = {line.meter: line for line in cost.lines}
    assert lines["telephony"].amount == 1.2  # 2 started minutes x 0.60
    assert lines["stt"].amount == 0.25  # half an audio minute x 0.50
    assert lines["tts"].amount == 3.0  # 2k characters x 1.50
    assert all(line.is_default_price for line in cost.lines)
    assert cost.currency == "INR" and cost.total == 4.45


def test_jpy_rounds_to_whole_yen():
    table = PriceTable(currency="JPY", prices=(Price(Meter.TELEPHONY, 10.4),))
    assert cost_of(CallUsage(telephony_seconds=120), table).total == 21


def test_the_counter_turns_pcm_into_seconds_and_estimates_tokens_only_when_told():
    counter = UsageCounter({"stt": ProviderUse("sarvam")})
    counter.stt_audio(16000, 8000)  # one second of PCM16 at 8 kHz
    counter.tts_text("Namaste!")
    counter.llm_reply(12, 3, estimated=False)
    counter.tool_call()
    usage = counter.snapshot(telephony_seconds=42, recording_bytes=1234)
    assert (
        usage.stt_audio_seconds,
        usage.tts_characters,
        usage.llm_input_tokens,
        usage.llm_output_tokens,
        usage.llm_tokens_estimated,
        usage.tool_calls,
        usage.recording_bytes,
        usage.telephony_seconds,
    ) == (1.0, 8, 12, 3, False, 1, 1234, 42)
    assert CallUsage.from_dict(usage.as_dict()) == usage
    assert estimate_tokens(["abcd", "abcde", ""]) == 3


def test_a_lead_is_an_interested_disposition_or_an_explicit_flag():
    assert marks_lead({"extraction": {"disposition": {"lead_stage": "Interested"}}})
    assert marks_lead({"extraction": {"disposition": {"lead_stage": "interested - hot"}}})
    assert not marks_lead({"extraction": {"disposition": {"lead_stage": "Not Interested"}}})
    assert marks_lead({"extraction": {"is_lead": True}})
    assert not marks_lead({}) and not marks_lead({"extraction": "x"})
