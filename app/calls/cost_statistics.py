"""Cost and latency across calls: the extension of `GET /calls/statistics` and of flow metrics.

Aggregated in SQL over the columns the call's end wrote (`cost_total`, `latency_turns`, ...). Costs are
summed in the organisation's current currency only: a call costed before the currency changed is left out
of the money figures (it keeps its own breakdown). Test calls are excluded, as in the other statistics.
A lead is a call whose extraction marked it one (`is_lead`, see `app.billing.leads`): the post-call
analysis and the metadata write keep the column in step.
"""

from __future__ import annotations

import statistics as stats
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from app.billing.currencies import round_amount
from app.billing.price_tables import PriceTableService
from app.calls.service import date_range
from app.db.models import Call


@dataclass(frozen=True)
class CostStatistics:
    currency: str
    total_cost: float
    cost_per_connected_call: float | None
    avg_voice_to_voice_ms: int | None


@dataclass(frozen=True)
class FlowCosts:
    currency: str
    total_cost: float
    cost_per_connected_call: float | None
    cost_per_lead: float | None
    leads: int
    median_voice_to_voice_ms: int | None  # median of the calls' own p50


@dataclass(frozen=True)
class CostDay:
    day: date
    calls: int
    connected: int
    total_cost: float
    cost_per_connected_call: float | None
    median_voice_to_voice_ms: int | None


def _per(total: float, count: int, currency: str) -> float | None:
    return round_amount(total / count, currency) if count else None


async def cost_statistics(
    organisation_id: str, flow_uuid: str | None = None, date_from: str | None = None, date_to: str | None = None
) -> CostStatistics:
    table, _ = await PriceTableService().get(organisation_id)
    query = Q(organisation_id=organisation_id) & date_range(date_from, date_to)
    if flow_uuid is not None:
        query &= Q(flow_id=flow_uuid)
    rows = (
        await Call.filter(query)
        .exclude(call_type="test")
        .annotate(
            cost=Sum("cost_total", _filter=Q(cost_currency=table.currency)),
            connected=Count("id", _filter=Q(outcome="connected")),
            turns=Sum("latency_turns"),
            total_ms=Sum("latency_total_ms"),
        )
        .group_by("organisation_id")
        .values("cost", "connected", "turns", "total_ms")
    )
    row = rows[0] if rows else {}
    total = round_amount(float(row.get("cost") or 0.0), table.currency)
    turns = int(row.get("turns") or 0)
    return CostStatistics(
        currency=table.currency,
        total_cost=total,
        cost_per_connected_call=_per(total, int(row.get("connected") or 0), table.currency),
        avg_voice_to_voice_ms=round(int(row.get("total_ms") or 0) / turns) if turns else None,
    )


def _median(values: list[int]) -> int | None:
    return int(stats.median(values)) if values else None


async def flow_costs(organisation_id: str, flow_ids: Iterable[str]) -> dict[str, FlowCosts]:
    """Two light queries for any number of flows: the money in SQL, the p50s to take a median of."""
    ids = list(flow_ids)
    table, _ = await PriceTableService().get(organisation_id)
    rows = (
        await Call.filter(flow_id__in=ids)
        .exclude(call_type="test")
        .annotate(
            cost=Sum("cost_total", _filter=Q(cost_currency=table.currency)),
            connected=Count("id", _filter=Q(outcome="connected")),
            leads=Count("id", _filter=Q(is_lead=True)),
        )
        .group_by("flow_id")
        .values("flow_id", "cost", "connected", "leads")
    )
    found = {row["flow_id"]: row for row in rows}
    p50s: dict[str, list[int]] = defaultdict(list)
    for flow_id, p50 in (
        await Call.filter(flow_id__in=ids, latency_p50_ms__isnull=False)
        .exclude(call_type="test")
        .values_list("flow_id", "latency_p50_ms")
    ):
        p50s[flow_id].append(int(p50))
    result = {}
    for flow_id in ids:
        row = found.get(flow_id) or {}
        total = round_amount(float(row.get("cost") or 0.0), table.currency)
        leads = int(row.get("leads") or 0)
        result[flow_id] = FlowCosts(
            currency=table.currency,
            total_cost=total,
            cost_per_connected_call=_per(total, int(row.get("connected") or 0), table.currency),
            cost_per_lead=_per(total, leads, table.currency),
            leads=leads,
            median_voice_to_voice_ms=_median(p50s[flow_id]),
        )
    return result


async def flow_cost_days(organisation_id: str, flow_id: str) -> list[CostDay]:
    """The campaign's days (UTC), oldest first: the board's chart. Grouped here: a campaign has at most a few
    thousand calls a day and the rows read are four small columns."""
    table, _ = await PriceTableService().get(organisation_id)
    days: dict[date, list[tuple[str | None, float | None, str | None, int | None]]] = defaultdict(list)
    for created, outcome, cost, currency, p50 in (
        await Call.filter(organisation_id=organisation_id, flow_id=flow_id)
        .exclude(call_type="test")
        .values_list("created_at", "outcome", "cost_total", "cost_currency", "latency_p50_ms")
    ):
        days[created.date()].append((outcome, cost, currency, p50))
    result = []
    for day in sorted(days):
        calls = days[day]
        connected = sum(1 for outcome, *_ in calls if outcome == "connected")
        total = round_amount(
            sum(cost or 0.0 for _, cost, currency, _ in calls if currency == table.currency), table.currency
        )
        result.append(
            CostDay(
                day=day,
                calls=len(calls),
                connected=connected,
                total_cost=total,
                cost_per_connected_call=_per(total, connected, table.currency),
                median_voice_to_voice_ms=_median([p50 for *_, p50 in calls if p50 is not None]),
            )
        )
    return result
