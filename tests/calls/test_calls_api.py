"""Calls: list with every filter (newest first, with total), one call with its transcript, statistics."""

from __future__ import annotations

import pytest

from tests.calls.conftest import days_ago, finished_call, start_call

CALL_KEYS = {
    "uuid",
    "call_type",
    "flow_uuid",
    "customer_uuid",
    "voice_agent_uuid",
    "from_number",
    "to_number",
    "duration",
    "duration_formatted",
    "outcome",
    "sentiment",
    "summary",
    "recording_url",
    "key_details",
    "started_at",
    "ended_at",
}


async def customer_of(client, phone="+14155550192"):
    return (await client.post("/customers", json={"name": "Jane", "phone": phone, "metadata": {"lead_id": "L1"}})).body


async def test_list_is_newest_first_with_total_and_the_documented_fields(door, client, platform):
    first = await finished_call(platform, client.organisation_id, created_at=days_ago(2))
    second = await finished_call(platform, client.organisation_id, created_at=days_ago(1))
    answer = await door.call("GET", "/calls")
    assert answer.status == 200
    assert answer.body["total"] == 2
    assert [call["uuid"] for call in answer.body["calls"]] == [second, first]
    call = answer.body["calls"][0]
    assert set(call) == CALL_KEYS
    assert call["duration"] == 113 and call["duration_formatted"] == "01:53"
    assert call["key_details"] == {"extraction": {"intent": 88}}
    assert call["started_at"].endswith("Z")


async def test_every_filter_narrows_the_list(door, client, platform):
    customer = await customer_of(client)
    inbound = await finished_call(
        platform,
        client.organisation_id,
        call_type="inbound",
        outcome="voicemail",
        sentiment="neutral",
        customer_id=customer["uuid"],
    )
    old = await finished_call(
        platform, client.organisation_id, outcome="failed", sentiment="negative", created_at=days_ago(10)
    )
    recent = await finished_call(platform, client.organisation_id)

    async def uuids(**params):
        answer = await door.call("GET", "/calls", params=params)
        assert answer.status == 200, answer.body
        return {call["uuid"] for call in answer.body["calls"]}, answer.body["total"]

    assert await uuids(call_type="inbound") == ({inbound}, 1)
    assert await uuids(customer_uuid=customer["uuid"]) == ({inbound}, 1)
    assert await uuids(outcome="failed") == ({old}, 1)
    assert await uuids(sentiment="positive") == ({recent}, 1)
    day = days_ago(10).date().isoformat()
    assert await uuids(date_from=day, date_to=day) == ({old}, 1)
    assert (await uuids(date_from=days_ago(1).date().isoformat()))[0] == {inbound, recent}
    page, total = await uuids(limit=1, offset=1)
    assert len(page) == 1 and total == 3


async def test_flow_filter(door, client, platform):
    flow = (await client.post("/flows", json={"kind": "outbound", "name": "Spring", "provider": "sarvam"})).body
    mine = await finished_call(platform, client.organisation_id, flow_id=flow["uuid"])
    await finished_call(platform, client.organisation_id)
    answer = await door.call("GET", "/calls", params={"flow_uuid": flow["uuid"]})
    assert [call["uuid"] for call in answer.body["calls"]] == [mine]


@pytest.mark.parametrize(
    "params, detail",
    [
        ({"date_from": "2026-13-01"}, "date_from must be an ISO 8601 date (YYYY-MM-DD)"),
        ({"date_to": "yesterday"}, "date_to must be an ISO 8601 date (YYYY-MM-DD)"),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_from must not be after date_to"),
        ({"outcome": "great"}, "outcome must be one of connected, voicemail, no-answer, failed, warm_transfer"),
        ({"sentiment": "happy"}, "sentiment must be one of positive, neutral, negative"),
        ({"call_type": "sideways"}, "call_type must be one of inbound, outbound, test"),
        ({"limit": 101}, "limit must be at most 100"),
        ({"offset": -1}, "offset must not be negative"),
    ],
)
async def test_bad_filters_are_400(door, params, detail):
    answer = await door.call("GET", "/calls", params=params)
    assert (answer.status, answer.body) == (400, {"detail": detail})


async def test_a_call_has_its_full_transcript_and_key_details(door, client, platform):
    call_id = await finished_call(platform, client.organisation_id)
    answer = await door.call("GET", f"/calls/{call_id}")
    assert answer.status == 200
    assert answer.body["uuid"] == call_id
    spec_fields = [
        {name: turn[name] for name in ("speaker", "text", "timestamp")} for turn in answer.body["transcript"]
    ]
    assert spec_fields == [
        {"speaker": "agent", "text": "Hi, good morning! This is Aria.", "timestamp": 0.0},
        {"speaker": "customer", "text": "Oh hey, yes I was looking at that desk.", "timestamp": 6.2},
    ]
    assert [turn["latency"] for turn in answer.body["transcript"]] == [None, None]  # extension: not measured
    assert answer.body["key_details"] == {"extraction": {"intent": 88}}


async def test_another_organisations_call_is_404(door, other_client, platform):
    theirs = await finished_call(platform, other_client.organisation_id)
    answer = await door.call("GET", f"/calls/{theirs}")
    assert (answer.status, answer.body) == (404, {"detail": "Call not found"})
    listed = await door.call("GET", "/calls")
    assert listed.body == {"calls": [], "total": 0}


STATISTICS_EXTENSION = ("currency", "total_cost", "cost_per_connected_call", "avg_voice_to_voice_ms")


async def test_statistics_aggregate_outcomes_sentiment_and_duration(door, client, platform):
    flow = (await client.post("/flows", json={"kind": "outbound", "name": "Spring", "provider": "sarvam"})).body
    org = client.organisation_id
    for outcome, sentiment, duration in [
        ("connected", "positive", 100),
        ("connected", "neutral", 50),
        ("voicemail", None, 20),
        ("no-answer", None, 0),
        ("failed", None, 0),
    ]:
        await finished_call(
            platform, org, outcome=outcome, sentiment=sentiment, duration=duration, flow_id=flow["uuid"]
        )
    await finished_call(platform, org, call_type="test", outcome="connected")
    await finished_call(platform, org, outcome="connected", created_at=days_ago(40))
    await start_call(platform, org, flow_id=flow["uuid"])  # still in progress: no outcome yet
    answer = await door.call("GET", "/calls/statistics", params={"flow_uuid": flow["uuid"]})
    assert answer.status == 200
    spec = {key: value for key, value in answer.body.items() if key not in STATISTICS_EXTENSION}
    assert spec == {
        "total_calls": 6,
        "connected": 2,
        "voicemail": 1,
        "no_answer": 1,
        "failed": 1,
        "connect_rate": 0.4,
        "sentiment_breakdown": {"positive": 1, "neutral": 1, "negative": 0},
        "avg_duration_seconds": 75,
    }
    # Extension: by the default prices (INR 0.60 a started minute), 2 + 1 minutes connected, 1 voicemail minute
    assert {key: answer.body[key] for key in STATISTICS_EXTENSION} == {
        "currency": "INR",
        "total_cost": 2.4,
        "cost_per_connected_call": 1.2,
        "avg_voice_to_voice_ms": None,
    }
    ranged = await door.call("GET", "/calls/statistics", params={"date_to": days_ago(30).date().isoformat()})
    assert ranged.body["total_calls"] == 1
    empty = await door.call("GET", "/calls/statistics", params={"flow_uuid": "flw_nothing"})
    assert empty.body["total_calls"] == 0 and empty.body["connect_rate"] == 0.0
    bad = await door.call("GET", "/calls/statistics", params={"date_from": "05/01/2026"})
    assert (bad.status, bad.body) == (400, {"detail": "date_from must be an ISO 8601 date (YYYY-MM-DD)"})
