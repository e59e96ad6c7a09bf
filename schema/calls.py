"""Calls in GraphQL: the call record, statistics, live calls, workflow actions and the live subscriptions."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.calls.channels import live_calls
from app.calls.cost_statistics import cost_statistics
from app.calls.payloads import recording_url
from app.calls.service import CallFilter
from app.calls.tool_calls import invocations_of
from app.db.models import Call
from app.errors import Unavailable
from app.flows.metrics import mm_ss
from schema.call_usage import CallCostType, CallLatencyType, CallUsageType, TurnLatencyType
from schema.callbacks import CallbackType
from schema.context import Info, org_of
from schema.inputs import provided
from schema.rate_limit import RateLimit
from schema.view import shared_next


class LiveChangesLost(Unavailable):
    """Changes carry no sequence to resume from, so a dashboard that missed some must reload the list."""

    def __init__(self, dropped: int) -> None:
        super().__init__(f"{dropped} live call changes were lost; reload the live calls")


@strawberry.type(name="Call")
class CallType:
    uuid: strawberry.ID
    call_type: str
    flow_uuid: str | None
    customer_uuid: str | None
    voice_agent_uuid: str | None
    from_number: str | None
    to_number: str | None
    duration: int | None
    duration_formatted: str | None
    outcome: str | None
    sentiment: str | None
    summary: str | None
    recording_url: str | None
    key_details: JSON
    started_at: datetime | None
    ended_at: datetime | None
    status: str = strawberry.field(description="queued, in-progress, completed, failed")
    end_reason: str | None = strawberry.field()

    @classmethod
    def fields_of(cls, call: Call, public_url: str) -> dict[str, Any]:
        return dict(
            uuid=strawberry.ID(call.id),
            call_type=call.call_type,
            flow_uuid=call.flow_id,
            customer_uuid=call.customer_id,
            voice_agent_uuid=call.voice_agent_id,
            from_number=call.from_number,
            to_number=call.to_number,
            duration=call.duration,
            duration_formatted=mm_ss(call.duration) if call.duration is not None else None,
            outcome=call.outcome,
            sentiment=call.sentiment,
            summary=call.summary,
            recording_url=recording_url(call, public_url),
            key_details=call.key_details or {},
            started_at=call.started_at,
            ended_at=call.ended_at,
            status=call.status,
            end_reason=call.end_reason,
        )

    @classmethod
    def of(cls, call: Call, public_url: str) -> CallType:
        return cls(**cls.fields_of(call, public_url))


@strawberry.type
class TranscriptTurn:
    speaker: str
    text: str
    timestamp: float
    latency: TurnLatencyType | None = strawberry.field(
        default=None, description="Extension: an agent reply's latency (agent turns answering the caller)."
    )


@strawberry.type(name="ToolInvocation", description="One in-call tool request (issue 16, an extension).")
class ToolInvocationType:
    tool: str
    arguments: JSON
    status: str = strawberry.field(description="ok, invalid_arguments, timeout, http_error, refused, failed, cancelled")
    http_status: int | None
    latency_ms: int
    result: str = strawberry.field(description="The answer (or the error), truncated.")
    at: float = strawberry.field(description="Seconds into the call.")


@strawberry.type(name="CallDetail", description="A call with its full transcript.")
class CallDetailType(CallType):
    transcript: list[TranscriptTurn] = strawberry.field(default_factory=list)
    latency: CallLatencyType | None = strawberry.field(
        default=None, description="Extension: p50/p95/max voice-to-voice of the agent's replies."
    )
    usage: CallUsageType | None = strawberry.field(default=None, description="Extension: set when the call ended.")
    cost: CallCostType | None = strawberry.field(default=None, description="Extension: set when the call ended.")

    @strawberry.field(description="Extension (issue 16): the tools the agent called during the call, in order.")
    async def tool_calls(self) -> list[ToolInvocationType]:
        return [ToolInvocationType(**row) for row in await invocations_of(str(self.uuid))]

    @strawberry.field(description="Extension (issue 16): callbacks the caller asked for during the call.")
    async def callbacks(self, info: Info) -> list[CallbackType]:
        return [CallbackType.of(c) for c in await info.context.platform.callbacks.of_call(str(self.uuid))]

    @classmethod
    def of(cls, call: Call, public_url: str) -> CallDetailType:
        turns = [
            TranscriptTurn(
                speaker=turn.get("speaker", ""),
                text=turn.get("text", ""),
                timestamp=float(turn.get("timestamp") or 0.0),
                latency=TurnLatencyType.of(turn.get("latency")),
            )
            for turn in call.transcript or []
        ]
        return cls(
            **cls.fields_of(call, public_url),
            transcript=turns,
            latency=CallLatencyType.of(call.latency),
            usage=CallUsageType.of(call.usage),
            cost=CallCostType.of(call.cost),
        )


@strawberry.type
class CallPage:
    calls: list[CallType]
    total: int = strawberry.field(description="How many calls match the filters, ignoring limit and offset.")


@strawberry.type
class SentimentBreakdown:
    positive: int
    neutral: int
    negative: int


@strawberry.type(name="CallStatistics")
class CallStatisticsType:
    total_calls: int
    connected: int
    voicemail: int
    no_answer: int
    failed: int
    connect_rate: float = strawberry.field(description="connected / calls with an outcome, 2 decimals.")
    sentiment_breakdown: SentimentBreakdown
    avg_duration_seconds: int = strawberry.field(description="Mean duration of connected calls.")
    currency: str = strawberry.field(description="Extension: the price table's currency; costs in others are left out.")
    total_cost: float = strawberry.field(description="Extension: the cost of the calls.")
    cost_per_connected_call: float | None = strawberry.field(
        description="Extension: total cost / connected calls; null without connected calls."
    )
    avg_voice_to_voice_ms: int | None = strawberry.field(
        description="Extension: mean voice-to-voice over every agent reply of the calls."
    )


@strawberry.type
class LiveCall:
    uuid: strawberry.ID
    call_type: str | None = None
    flow_uuid: str | None = None
    customer_uuid: str | None = None
    voice_agent_uuid: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    status: str | None = None
    target: str | None = strawberry.field(default=None, description="The queue of a transfer in progress.")
    started_at: str | None = None
    outcome: str | None = strawberry.field(default=None)
    ended_at: str | None = strawberry.field(default=None)

    @classmethod
    def of(cls, entry: dict[str, Any]) -> LiveCall:
        known = {
            name: entry.get(name)
            for name in (
                "call_type",
                "flow_uuid",
                "customer_uuid",
                "voice_agent_uuid",
                "from_number",
                "to_number",
                "status",
                "target",
                "started_at",
                "outcome",
                "ended_at",
            )
        }
        return cls(uuid=strawberry.ID(entry["uuid"]), **known)


@strawberry.type
class LiveCallChange:
    change: str = strawberry.field(
        description="started, updated (its status or transfer target changed: the call carries the new entry) or ended"
    )
    call: LiveCall


@strawberry.type
class CallEvent:
    type: str = strawberry.field(description="start, transcript, status or end")
    seq: int = strawberry.field(description="Per-call sequence number, from 1")
    call_uuid: str
    event: JSON = strawberry.field(description="The event exactly as the live WebSocket sends it.")

    @classmethod
    def of(cls, event: dict[str, Any], call_uuid: str) -> CallEvent:
        return cls(type=event["type"], seq=event["seq"], call_uuid=call_uuid, event=JSON(event))


@strawberry.type
class CallMetadataResult:
    uuid: strawberry.ID
    key_details: JSON
    updated_at: datetime


@strawberry.type
class TransferResult:
    status: str
    call_uuid: str
    target: str


@strawberry.type
class EndCallResult:
    status: str
    call_uuid: str
    reason: str


@strawberry.type
class AgentAvailability:
    target: str
    available: bool
    queue_depth: int = strawberry.field(description="Live calls of the organisation being transferred to the queue.")
    checked_at: datetime


@strawberry.type
class CallRecording:
    uuid: strawberry.ID
    recording_url: str = strawberry.field(description="Stream it with ?token=<API key or Firebase token>.")
    source: str = strawberry.field(description="platform (blob storage) or provider (proxied)")


@strawberry.input
class CallMetadataInput:
    key_details: JSON = strawberry.field(description="Deep-merged: objects merge, scalars and lists replace.")


@strawberry.input
class TransferCallInput:
    target: str = strawberry.field(description="A human-agent queue of the organisation.")
    agent_brief: str = strawberry.field(description="At most 280 characters, for the receiving agent.")
    context: JSON | None = None


@strawberry.input
class EndCallInput:
    reason: str | None = strawberry.field(
        default=None, description="dnc_request, wrong_number, hostile_caller or workflow_close"
    )


@strawberry.type
class CallQueries:
    @strawberry.field(description="Calls, newest first, with the spec's filters.")
    async def calls(
        self,
        info: Info,
        call_type: str | None = None,
        flow_uuid: str | None = None,
        customer_uuid: str | None = None,
        outcome: str | None = None,
        sentiment: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        limit: int | None = 50,
        offset: int | None = 0,
    ) -> CallPage:
        organisation = await org_of(info)
        spec = CallFilter(
            call_type=call_type,
            flow_uuid=flow_uuid,
            customer_uuid=customer_uuid,
            outcome=outcome,
            sentiment=sentiment,
            date_from=date_from,
            date_to=date_to,
        )
        page = await info.context.platform.calls.list(
            organisation, spec, limit=50 if limit is None else limit, offset=offset or 0
        )
        public_url = info.context.platform.settings.public_url
        return CallPage(calls=[CallType.of(call, public_url) for call in page.calls], total=page.total)

    @strawberry.field(description="One call with its full transcript and key_details.")
    async def call(self, info: Info, uuid: strawberry.ID) -> CallDetailType:
        organisation = await org_of(info)
        call = await info.context.platform.calls.get(organisation, uuid)
        return CallDetailType.of(call, info.context.platform.settings.public_url)

    @strawberry.field(description="Where a call's recording streams from; not found when none or opted out.")
    async def call_recording(self, info: Info, uuid: strawberry.ID) -> CallRecording:
        from app.calls.recordings import RecordingService

        organisation = await org_of(info)
        platform = info.context.platform
        found = await RecordingService(platform.calls, platform.blob_store).locate(organisation, uuid)
        return CallRecording(
            uuid=uuid,
            source=found.source,
            recording_url=f"{platform.settings.public_url}/api/voice/calls/{uuid}/recording",
        )

    @strawberry.field(
        description="Totals per outcome, connect rate, sentiment and mean duration (test calls excluded)."
    )
    async def call_statistics(
        self, info: Info, flow_uuid: str | None = None, date_from: str | None = None, date_to: str | None = None
    ) -> CallStatisticsType:
        organisation = await org_of(info)
        stats = await info.context.platform.calls.statistics(organisation, flow_uuid, date_from, date_to)
        costs = await cost_statistics(organisation, flow_uuid, date_from, date_to)
        return CallStatisticsType(
            total_calls=stats.total_calls,
            connected=stats.connected,
            voicemail=stats.voicemail,
            no_answer=stats.no_answer,
            failed=stats.failed,
            connect_rate=stats.connect_rate,
            sentiment_breakdown=SentimentBreakdown(**stats.sentiment_breakdown),
            avg_duration_seconds=stats.avg_duration_seconds,
            currency=costs.currency,
            total_cost=costs.total_cost,
            cost_per_connected_call=costs.cost_per_connected_call,
            avg_voice_to_voice_ms=costs.avg_voice_to_voice_ms,
        )

    @strawberry.field(description="Calls in progress on any instance, newest first.")
    async def live_calls(self, info: Info) -> list[LiveCall]:
        organisation = await org_of(info)
        return [LiveCall.of(entry) for entry in await info.context.platform.calls.live(organisation)]

    @strawberry.field(
        extensions=[RateLimit("30/minute")],
        description="Whether a human agent of the queue is available, before a warm transfer.",
    )
    async def agent_availability(self, info: Info, target: str) -> AgentAvailability:
        organisation = await org_of(info)
        found = await info.context.platform.calls.availability(organisation, target)
        return AgentAvailability(
            target=found.target, available=found.available, queue_depth=found.queue_depth, checked_at=found.checked_at
        )


@strawberry.type
class CallMutations:
    @strawberry.mutation(
        extensions=[RateLimit("30/minute")], description="Deep-merge structured results into the call's key_details."
    )
    async def write_call_metadata(
        self, info: Info, uuid: strawberry.ID, input: CallMetadataInput
    ) -> CallMetadataResult:
        organisation = await org_of(info)
        call = await info.context.platform.calls.merge_metadata(organisation, uuid, input.key_details)
        return CallMetadataResult(
            uuid=strawberry.ID(call.id), key_details=JSON(call.key_details), updated_at=call.updated_at
        )

    @strawberry.mutation(extensions=[RateLimit("10/minute")], description="Bridge a live call to a human queue.")
    async def transfer_call(self, info: Info, uuid: strawberry.ID, input: TransferCallInput) -> TransferResult:
        organisation = await org_of(info)
        result = await info.context.platform.calls.transfer(organisation, uuid, provided(input))
        return TransferResult(**result)

    @strawberry.mutation(extensions=[RateLimit("10/minute")], description="End a live call.")
    async def end_call(self, info: Info, uuid: strawberry.ID, input: EndCallInput | None = None) -> EndCallResult:
        organisation = await org_of(info)
        reason = input.reason if input is not None else None
        return EndCallResult(**await info.context.platform.calls.end(organisation, uuid, reason))


@strawberry.type
class CallSubscriptions:
    @strawberry.subscription(description="One call's events: the replay buffer, then live; completes after `end`.")
    async def call_events(self, info: Info, call_uuid: strawberry.ID) -> AsyncGenerator[CallEvent, None]:
        organisation = await org_of(info)
        platform = info.context.platform
        await platform.calls.get(organisation, call_uuid)
        fanout = platform.call_events.fanout
        shared = shared_next() if fanout.shared else None
        async with fanout.follow(call_uuid) as events:
            if shared is None:
                async for item in events:
                    yield CallEvent.of(item.event, call_uuid)
                return
            # A CallEvent's selection depends only on the event: every subscriber of the same operation
            # gets the `next` payload executed and encoded by the first one to need it.
            await shared.forward(events, lambda event: shared.payload(CallEvent.of(event, call_uuid)))

    @strawberry.subscription(
        description="Calls of the organisation as they start, change status and end. "
        "UNAVAILABLE if changes were lost: query liveCalls and subscribe again."
    )
    async def live_calls(self, info: Info) -> AsyncGenerator[LiveCallChange, None]:
        organisation = await org_of(info)
        async with info.context.platform.bus.subscribe(live_calls(organisation)) as changes:
            async for change in changes:
                if changes.overflowed:
                    raise LiveChangesLost(changes.take_dropped())
                yield LiveCallChange(change=change["change"], call=LiveCall.of(change["call"]))
