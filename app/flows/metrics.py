"""Live metrics of flows, computed by SQL aggregation: two queries for any number of flows.

Definitions (also in docs/customers-and-flows.md). Test calls are excluded. A call is finished once it
has an outcome.
- calls_today: calls created since local midnight in the flow's timezone (UTC without a time window)
- total_calls: all calls of the flow
- connect_rate: connected / finished; answer_rate: (connected + voicemail) / finished;
  missed_rate: (no-answer + failed) / finished; 0.0 when nothing has finished
- avg_handle_time: mean duration of connected calls as mm:ss
- peak_hour: the local hour (0-23) in which most calls were created, the earliest on ties; null without calls
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.functions import Avg, Count

from app.calls.lifecycle import CallOutcome
from app.db.models import Call, Flow
from app.db.sql import dialect, fetch, placeholders

QUARTER_SQL = {
    "postgres": "CAST(EXTRACT(HOUR FROM created_at AT TIME ZONE 'UTC') * 4"
    " + FLOOR(EXTRACT(MINUTE FROM created_at AT TIME ZONE 'UTC') / 15) AS INTEGER)",
    "sqlite": "CAST(strftime('%H', created_at) AS INTEGER) * 4 + CAST(strftime('%M', created_at) AS INTEGER) / 15",
}


@dataclass(frozen=True)
class FlowMetrics:
    calls_today: int
    total_calls: int
    connect_rate: float
    answer_rate: float
    missed_rate: float
    avg_handle_time: str
    peak_hour: int | None


def mm_ss(seconds: float | None) -> str:
    total = round(seconds or 0)
    return f"{total // 60:02d}:{total % 60:02d}"


def zone_of(flow: Flow) -> ZoneInfo:
    window = flow.time_window or {}
    return ZoneInfo(window.get("timezone") or "UTC")


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 2) if whole else 0.0


async def flow_metrics(flows: Iterable[Flow], now: datetime | None = None) -> dict[str, FlowMetrics]:
    flows = list(flows)
    if not flows:
        return {}
    now = now or datetime.now(UTC)
    by_zone: dict[str, list[str]] = defaultdict(list)
    for flow in flows:
        by_zone[zone_of(flow).key].append(flow.id)
    today = Q()
    for zone, ids in by_zone.items():
        local = now.astimezone(ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
        midnight = local.astimezone(UTC)  # SQLite compares timestamps as UTC text
        today |= Q(flow_id__in=ids, created_at__gte=midnight)
    ids = [flow.id for flow in flows]
    rows = (
        await Call.filter(flow_id__in=ids)
        .exclude(call_type="test")
        .annotate(
            total=Count("id"),
            finished=Count("id", _filter=Q(outcome__isnull=False)),
            connected=Count("id", _filter=Q(outcome=CallOutcome.CONNECTED)),
            voicemail=Count("id", _filter=Q(outcome=CallOutcome.VOICEMAIL)),
            handle=Avg("duration", _filter=Q(outcome=CallOutcome.CONNECTED)),
            today=Count("id", _filter=today),
        )
        .group_by("flow_id")
        .values("flow_id", "total", "finished", "connected", "voicemail", "handle", "today")
    )
    counts = {row["flow_id"]: row for row in rows}
    peaks = await _peak_hours(flows, now)
    result = {}
    for flow in flows:
        row = counts.get(flow.id) or {}
        finished, connected = row.get("finished") or 0, row.get("connected") or 0
        answered = connected + (row.get("voicemail") or 0)
        result[flow.id] = FlowMetrics(
            calls_today=row.get("today") or 0,
            total_calls=row.get("total") or 0,
            connect_rate=_rate(connected, finished),
            answer_rate=_rate(answered, finished),
            missed_rate=_rate(finished - answered, finished),
            avg_handle_time=mm_ss(row.get("handle")),
            peak_hour=peaks.get(flow.id),
        )
    return result


async def _peak_hours(flows: list[Flow], now: datetime) -> dict[str, int]:
    """Counts per UTC quarter hour in SQL, shifted to each flow's local hour with its current UTC offset."""
    ids = [flow.id for flow in flows]
    rows = await fetch(
        f"SELECT flow_id, {QUARTER_SQL[dialect()]} AS quarter, COUNT(*) AS n FROM calls "
        f"WHERE flow_id IN ({placeholders(len(ids))}) AND call_type <> 'test' GROUP BY flow_id, quarter",
        ids,
    )
    offsets = {
        flow.id: int((now.astimezone(zone_of(flow)).utcoffset() or timedelta()).total_seconds() // 60) for flow in flows
    }
    hours: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        local = (int(row["quarter"]) * 15 + offsets[row["flow_id"]]) % 1440 // 60
        hours[row["flow_id"]][local] += int(row["n"])
    return {flow_id: min(counts, key=lambda hour: (-counts[hour], hour)) for flow_id, counts in hours.items()}
