"""The call record API: lists with filters, one call with its transcript, statistics by SQL aggregation,
the metadata deep-merge, the live list and the workflow actions (transfer, end, agent availability)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Avg, Count
from tortoise.transactions import in_transaction

from app import field_checks as check
from app.billing.leads import marks_lead
from app.calls.channels import call_commands
from app.calls.lifecycle import (
    WORKFLOW_END_REASONS,
    CallOutcome,
    EndCommand,
    EndReason,
    TransferCommand,
    command_payload,
)
from app.calls.live import LiveRegistry
from app.calls.merge import deep_merge
from app.calls.queues import HumanQueueService
from app.db.models import Call
from app.errors import Conflict, Invalid, NotFound, Unavailable
from app.events import EventBus

CALL_TYPES = ("inbound", "outbound", "test")
OUTCOMES = tuple(CallOutcome)
SENTIMENTS = ("positive", "neutral", "negative")
END_REASONS = WORKFLOW_END_REASONS
MAX_LIMIT = 100
MAX_BRIEF = 280
NOT_ACTIVE = "Call is not currently active"
NO_AGENTS = "No agents available in target queue"


@dataclass(frozen=True)
class CallFilter:
    call_type: str | None = None
    flow_uuid: str | None = None
    customer_uuid: str | None = None
    outcome: str | None = None
    sentiment: str | None = None
    date_from: str | None = None
    date_to: str | None = None


@dataclass(frozen=True)
class CallPage:
    calls: list[Call]
    total: int


@dataclass(frozen=True)
class CallStatistics:
    total_calls: int
    connected: int
    voicemail: int
    no_answer: int
    failed: int
    connect_rate: float
    sentiment_breakdown: dict[str, int]
    avg_duration_seconds: int


@dataclass(frozen=True)
class Availability:
    target: str
    available: bool
    queue_depth: int
    checked_at: datetime


def _day(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Invalid(f"{name} must be an ISO 8601 date (YYYY-MM-DD)") from None


def date_range(date_from: str | None, date_to: str | None) -> Q:
    """Calls created on or after date_from and on or before date_to (whole UTC days)."""
    start, end = _day("date_from", date_from), _day("date_to", date_to)
    if start and end and start > end:
        raise Invalid("date_from must not be after date_to")
    query = Q()
    if start:
        query &= Q(created_at__gte=datetime.combine(start, time.min, UTC))
    if end:
        query &= Q(created_at__lt=datetime.combine(end + timedelta(days=1), time.min, UTC))
    return query


def _filters(organisation_id: str, spec: CallFilter) -> Q:
    query = Q(organisation_id=organisation_id)
    if spec.call_type is not None:
        query &= Q(call_type=check.one_of("call_type", spec.call_type, CALL_TYPES))
    if spec.outcome is not None:
        query &= Q(outcome=check.one_of("outcome", spec.outcome, OUTCOMES))
    if spec.sentiment is not None:
        query &= Q(sentiment=check.one_of("sentiment", spec.sentiment, SENTIMENTS))
    if spec.flow_uuid is not None:
        query &= Q(flow_id=spec.flow_uuid)
    if spec.customer_uuid is not None:
        query &= Q(customer_id=spec.customer_uuid)
    return query & date_range(spec.date_from, spec.date_to)


class CallService:
    def __init__(self, bus: EventBus, live: LiveRegistry, queues: HumanQueueService) -> None:
        self._bus = bus
        self._live = live
        self._queues = queues

    async def list(self, organisation_id: str, spec: CallFilter, *, limit: int = 50, offset: int = 0) -> CallPage:
        limit = check.bounded_int("limit", limit, minimum=1, maximum=MAX_LIMIT)
        offset = check.bounded_int("offset", offset, minimum=0)
        query = Call.filter(_filters(organisation_id, spec))
        page = await query.order_by("-created_at", "-id").offset(offset).limit(limit)
        return CallPage(page, await query.count())

    async def get(self, organisation_id: str, call_id: str) -> Call:
        call = await Call.get_or_none(id=call_id, organisation_id=organisation_id)
        if call is None:
            raise NotFound("Call not found")
        return call

    async def statistics(
        self,
        organisation_id: str,
        flow_uuid: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> CallStatistics:
        """One grouped query. Test calls are left out; connect_rate is connected / calls with an outcome."""
        query = Q(organisation_id=organisation_id) & date_range(date_from, date_to)
        if flow_uuid is not None:
            query &= Q(flow_id=flow_uuid)
        rows = (
            await Call.filter(query)
            .exclude(call_type="test")
            .annotate(
                total=Count("id"),
                finished=Count("id", _filter=Q(outcome__isnull=False)),
                connected=Count("id", _filter=Q(outcome=CallOutcome.CONNECTED)),
                voicemail=Count("id", _filter=Q(outcome=CallOutcome.VOICEMAIL)),
                no_answer=Count("id", _filter=Q(outcome=CallOutcome.NO_ANSWER)),
                failed=Count("id", _filter=Q(outcome=CallOutcome.FAILED)),
                positive=Count("id", _filter=Q(sentiment="positive")),
                neutral=Count("id", _filter=Q(sentiment="neutral")),
                negative=Count("id", _filter=Q(sentiment="negative")),
                duration=Avg("duration", _filter=Q(outcome=CallOutcome.CONNECTED)),
            )
            .group_by("organisation_id")
            .values(
                "total",
                "finished",
                "connected",
                "voicemail",
                "no_answer",
                "failed",
                "positive",
                "neutral",
                "negative",
                "duration",
            )
        )
        row = rows[0] if rows else {}

        def count(key: str) -> int:
            return int(row.get(key) or 0)

        finished = count("finished")
        return CallStatistics(
            total_calls=count("total"),
            connected=count("connected"),
            voicemail=count("voicemail"),
            no_answer=count("no_answer"),
            failed=count("failed"),
            connect_rate=round(count("connected") / finished, 2) if finished else 0.0,
            sentiment_breakdown={name: count(name) for name in SENTIMENTS},
            avg_duration_seconds=round(float(row.get("duration") or 0)),
        )

    async def merge_metadata(self, organisation_id: str, call_id: str, key_details: Any) -> Call:
        """Deep-merge under a row lock (PostgreSQL) or the serialising SQLite transaction: concurrent
        writers each see the other's keys."""
        incoming = check.json_object("key_details", key_details)
        async with in_transaction() as connection:
            call = (
                await Call.filter(id=call_id, organisation_id=organisation_id)
                .select_for_update()
                .using_db(connection)
                .first()
            )
            if call is None:
                raise NotFound("Call not found")
            call.key_details = deep_merge(call.key_details or {}, incoming)
            call.updated_at = datetime.now(UTC)
            call.is_lead = marks_lead(call.key_details)
            await (
                Call.filter(id=call_id)
                .using_db(connection)
                .update(key_details=call.key_details, is_lead=call.is_lead, updated_at=call.updated_at)
            )
        return call

    async def live(self, organisation_id: str) -> builtins.list[dict[str, Any]]:
        calls = await self._live.list(organisation_id)
        return sorted(calls, key=lambda entry: (entry.get("started_at") or "", entry["uuid"]), reverse=True)

    async def _live_call(self, organisation_id: str, call_id: str) -> dict[str, Any]:
        await self.get(organisation_id, call_id)
        entry = await self._live.get(organisation_id, call_id)
        if entry is None:
            raise Conflict(NOT_ACTIVE)
        return entry

    async def transfer(self, organisation_id: str, call_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        brief = check.text("agent_brief", data.get("agent_brief"), max_length=MAX_BRIEF)
        context = check.json_object("context", data.get("context") if data.get("context") is not None else {})
        check.text("target", data.get("target"), max_length=100)
        await self._live_call(organisation_id, call_id)
        queue = await self._queues.by_name(organisation_id, data.get("target"))
        if not await self._queues.available_agents(queue.id):
            raise Unavailable(NO_AGENTS)
        await self._bus.publish(
            call_commands(call_id),
            command_payload(
                TransferCommand(
                    target=queue.name, agent_brief=brief, context=context, transfer_number=queue.transfer_number
                )
            ),
        )
        return {"status": "transfer_initiated", "call_uuid": call_id, "target": queue.name}

    async def end(self, organisation_id: str, call_id: str, reason: Any = None) -> dict[str, Any]:
        if reason is not None:
            check.one_of("reason", reason, END_REASONS)
        await self._live_call(organisation_id, call_id)
        ending = EndReason(reason or EndReason.WORKFLOW_CLOSE)
        await self._bus.publish(call_commands(call_id), command_payload(EndCommand(reason=ending)))
        return {"status": "end_requested", "call_uuid": call_id, "reason": ending.value}

    async def availability(self, organisation_id: str, target: Any) -> Availability:
        """queue_depth: live calls of the organisation currently being transferred to the queue."""
        queue = await self._queues.by_name(organisation_id, target)
        available = await self._queues.available_agents(queue.id)
        depth = sum(
            1
            for entry in await self._live.list(organisation_id)
            if entry.get("status") == "transfer_initiated" and entry.get("target") == queue.name
        )
        return Availability(queue.name, available > 0, depth, datetime.now(UTC))
