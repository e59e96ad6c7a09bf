"""include_metrics: live flow metrics by SQL aggregation, with the definitions in docs/customers-and-flows.md."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.db.models import Call
from app.ids import new_id
from tests.flows.conftest import SPRING

METRIC_KEYS = {
    "calls_today",
    "total_calls",
    "connect_rate",
    "answer_rate",
    "missed_rate",
    "avg_handle_time",
    "peak_hour",
}
COST_KEYS = {
    "currency",
    "total_cost",
    "cost_per_connected_call",
    "leads",
    "cost_per_lead",  # extension (issue 17)
    "median_voice_to_voice_ms",
}


def spec_part(metrics: dict) -> dict:
    return {key: value for key, value in metrics.items() if key in METRIC_KEYS}


async def _call(
    organisation_id: str,
    flow_id: str,
    at: datetime,
    outcome: str | None,
    duration: int | None = None,
    call_type: str = "outbound",
) -> None:
    await Call.create(
        id=new_id("cal"),
        organisation_id=organisation_id,
        flow_id=flow_id,
        call_type=call_type,
        outcome=outcome,
        duration=duration,
        created_at=at,
        started_at=at,
    )


async def test_metrics_follow_the_documented_definitions(door, client):
    kolkata = {**SPRING, "time_window": {"start": "09:00", "end": "18:00", "timezone": "Asia/Kolkata"}}
    flow = (await door.call("POST", "/flows", json=kolkata)).body
    quiet = (await door.call("POST", "/flows", json={**kolkata, "name": "Quiet"})).body
    now = datetime.now(UTC)
    days_ago = (now - timedelta(days=3)).replace(hour=5, minute=40)  # 11:10 in Kolkata
    org = client.organisation_id
    await _call(org, flow["uuid"], now, "connected", 60)
    await _call(org, flow["uuid"], now, "connected", 120)
    for outcome in ("voicemail", "no-answer", "failed"):
        await _call(org, flow["uuid"], days_ago, outcome)
    await _call(org, flow["uuid"], now, "connected", 999, call_type="test")

    listed = await door.call("GET", "/flows", params={"include_metrics": "true"})
    metrics = {f["uuid"]: spec_part(f["metrics"]) for f in listed.body["flows"]}
    assert set(listed.body["flows"][0]["metrics"]) == METRIC_KEYS | COST_KEYS
    assert metrics[flow["uuid"]] == {
        "calls_today": 2,
        "total_calls": 5,
        "connect_rate": 0.4,
        "answer_rate": 0.6,
        "missed_rate": 0.4,
        "avg_handle_time": "01:30",
        "peak_hour": 11,
    }
    assert metrics[quiet["uuid"]] == {
        "calls_today": 0,
        "total_calls": 0,
        "connect_rate": 0.0,
        "answer_rate": 0.0,
        "missed_rate": 0.0,
        "avg_handle_time": "00:00",
        "peak_hour": None,
    }
    one = await door.call("GET", f"/flows/{flow['uuid']}", params={"include_metrics": "true"})
    assert spec_part(one.body["metrics"]) == metrics[flow["uuid"]]
    assert "metrics" not in (await door.call("GET", f"/flows/{flow['uuid']}")).body


async def test_calls_today_counts_from_local_midnight(door, client):
    tz = "Pacific/Kiritimati"  # UTC+14: local midnight is far from UTC midnight
    flow = (
        await door.call(
            "POST", "/flows", json={**SPRING, "time_window": {"start": "09:00", "end": "18:00", "timezone": tz}}
        )
    ).body
    from zoneinfo import ZoneInfo

    local_midnight = datetime.now(ZoneInfo(tz)).replace(hour=0, minute=0, second=0, microsecond=0)
    await _call(client.organisation_id, flow["uuid"], local_midnight + timedelta(minutes=1), "connected", 30)
    await _call(client.organisation_id, flow["uuid"], local_midnight - timedelta(minutes=1), "connected", 30)
    one = await door.call("GET", f"/flows/{flow['uuid']}", params={"include_metrics": "true"})
    assert (one.body["metrics"]["calls_today"], one.body["metrics"]["total_calls"]) == (1, 2)
