"""The price table through both doors: defaults marked as defaults, a saved table in any ISO currency, and
bad tables refused with a 400 naming the field, leaving the stored table as it was."""

from __future__ import annotations

import pytest

GOOD = {
    "currency": "USD",
    "telephony_billing": "per_second",
    "prices": [
        {"meter": "telephony", "unit_price": 0.012},
        {"meter": "llm_input", "provider": "openai", "model": "gpt-4o-mini", "unit_price": 0.15},
        {"meter": "tts", "provider": "elevenlabs", "unit_price": 0.1},
    ],
}


async def test_an_organisation_without_a_table_sees_the_defaults_in_inr_marked_as_defaults(door):
    answer = await door.call("GET", "/price-table")
    assert answer.status == 200, answer.body
    table = answer.body
    assert (table["currency"], table["telephony_billing"], table["is_default"], table["updated_at"]) == (
        "INR",
        "per_started_minute",
        True,
        None,
    )
    assert table["prices"] and all(price["is_default"] for price in table["prices"])
    meters = {price["meter"] for price in table["prices"]}
    assert meters == {"telephony", "stt", "tts", "llm_input", "llm_output", "tool_call", "recording_storage"}
    units = {(p["meter"], p["unit"]) for p in table["prices"]}
    assert ("tts", "1k_characters") in units and ("llm_output", "1m_tokens") in units


async def test_a_saved_table_replaces_the_defaults_and_can_be_reset(door, client):
    saved = await door.call("PUT", "/price-table", json=GOOD)
    assert saved.status == 200, saved.body
    assert (saved.body["currency"], saved.body["telephony_billing"], saved.body["is_default"]) == (
        "USD",
        "per_second",
        False,
    )
    assert saved.body["updated_at"]
    # Not in INR: no default rows are mixed in, only what the organisation priced.
    assert [
        (p["meter"], p["provider"], p["model"], p["unit_price"], p["is_default"]) for p in saved.body["prices"]
    ] == [
        ("telephony", "*", "*", 0.012, False),
        ("llm_input", "openai", "gpt-4o-mini", 0.15, False),
        ("tts", "elevenlabs", "*", 0.1, False),
    ]
    assert (await door.call("GET", "/price-table")).body == saved.body
    reset = await door.call("DELETE", "/price-table")
    assert reset.status == 200 and reset.body["is_default"] and reset.body["currency"] == "INR"


async def test_an_inr_table_keeps_the_defaults_for_the_meters_it_leaves_out(door, client):
    saved = await door.call("PUT", "/price-table", json={"prices": [{"meter": "telephony", "unit_price": 0.45}]})
    assert saved.status == 200, saved.body
    telephony = [p for p in saved.body["prices"] if p["meter"] == "telephony"]
    assert telephony == [
        {"meter": "telephony", "provider": "*", "model": "*", "unit": "minute", "unit_price": 0.45, "is_default": False}
    ]
    assert any(p["meter"] == "stt" and p["is_default"] for p in saved.body["prices"])
    await door.call("DELETE", "/price-table")


BAD = [
    ({"currency": "RUPEES"}, "currency must be an ISO 4217 code in upper case, like INR or USD"),
    ({"currency": "inr"}, "currency must be an ISO 4217 code in upper case, like INR or USD"),
    ({"telephony_billing": "per_pulse"}, "telephony_billing must be one of per_started_minute, per_second"),
    (
        {"prices": [{"meter": "telephony", "unit_price": 1}, {"meter": "minutes", "unit_price": 1}]},
        "prices[1].meter must be one of telephony, stt, tts, llm_input, llm_output, tool_call, recording_storage",
    ),
    ({"prices": [{"meter": "stt", "unit_price": -0.5}]}, "prices[0].unit_price must be a number from 0 to 1e+06"),
    (
        {"prices": [{"meter": "stt", "provider": "Sarvam AI", "unit_price": 1}]},
        "prices[0].provider must be `*` or a lower-case name of at most 64 characters (letters, digits, _ . : -)",
    ),
    (
        {
            "prices": [
                {"meter": "tts", "provider": "sarvam", "unit_price": 1},
                {"meter": "tts", "provider": "sarvam", "model": "*", "unit_price": 2},
            ]
        },
        "prices[1] prices tts for provider sarvam and model * again (prices[0])",
    ),
]


@pytest.mark.parametrize("body,detail", BAD, ids=[detail.split(" ")[0] for _, detail in BAD])
async def test_a_bad_table_is_a_400_naming_the_field_and_the_saved_table_stays(door, client, body, detail):
    before = await door.call("PUT", "/price-table", json=GOOD)
    assert before.status == 200
    answer = await door.call("PUT", "/price-table", json=body)
    assert (answer.status, answer.body) == (400, {"detail": detail})
    assert (await door.call("GET", "/price-table")).body == before.body
    await door.call("DELETE", "/price-table")


async def test_rest_names_a_mistyped_price_field_before_the_service_sees_it(client):
    answer = await client.put("/price-table", json={"prices": [{"meter": "stt", "unit_price": "cheap"}]})
    assert answer.status == 400 and "prices" in answer.body["detail"] and "unit_price" in answer.body["detail"]
    answer = await client.put("/price-table", json={"currency": "INR", "colour": "red"})
    assert (answer.status, answer.body) == (400, {"detail": "unknown field: colour"})


async def test_an_anonymous_caller_learns_nothing(http, client):
    async with http.put(client.server.url("/api/voice/price-table"), json={"currency": "nope"}) as answer:
        assert answer.status == 401 and await answer.json() == {"detail": "Invalid or expired token"}
