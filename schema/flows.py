"""Flows in GraphQL: inbound lines and outbound campaigns, with live metrics and their voice agent."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry import UNSET
from strawberry.scalars import JSON

from app.db.models import Flow
from schema.agents import VoiceAgentType
from schema.context import Info, org_of
from schema.inputs import provided
from schema.loaders import loaders
from schema.rate_limit import RateLimit


@strawberry.type
class TimeWindow:
    start: str
    end: str
    timezone: str


@strawberry.type(name="FlowMetrics")
class FlowMetricsType:
    calls_today: int
    total_calls: int
    connect_rate: float
    answer_rate: float
    missed_rate: float
    avg_handle_time: str = strawberry.field(description="Mean duration of connected calls, mm:ss.")
    peak_hour: int | None = strawberry.field(description="Local hour (0-23) with the most calls.")
    currency: str = strawberry.field(default="INR", description="Extension: the price table's currency.")
    total_cost: float = strawberry.field(default=0.0, description="Extension: the cost of the flow's calls.")
    cost_per_connected_call: float | None = strawberry.field(default=None, description="Extension.")
    leads: int = strawberry.field(default=0, description="Extension: calls the extraction marked a lead.")
    cost_per_lead: float | None = strawberry.field(default=None, description="Extension: total cost / leads.")
    median_voice_to_voice_ms: int | None = strawberry.field(
        default=None, description="Extension: the median of the calls' median voice-to-voice."
    )


@strawberry.type(name="FlowCostDay", description="One UTC day of a flow's calls: the campaign board's chart.")
class FlowCostDayType:
    day: date
    calls: int
    connected: int
    total_cost: float
    cost_per_connected_call: float | None
    median_voice_to_voice_ms: int | None


@strawberry.type(name="Flow")
class FlowType:
    uuid: strawberry.ID
    kind: str
    name: str
    status: str
    voice_agent_id: str | None
    phone_number: str | None
    script_id: str | None
    branches: list[str]
    start_date: date | None
    end_date: date | None
    time_window: TimeWindow | None
    config: JSON
    created_at: datetime
    provider: str = strawberry.field()
    updated_at: datetime = strawberry.field()
    _flow: strawberry.Private[Flow]

    @strawberry.field(description="Live metrics, computed for all flows of the answer in one aggregation.")
    async def metrics(self, info: Info) -> FlowMetricsType | None:
        found = await loaders(info).flow_metrics.load(self._flow)
        costs = await loaders(info).flow_costs.load(self._flow)
        return FlowMetricsType(
            **found.__dict__,
            currency=costs.currency,
            total_cost=costs.total_cost,
            cost_per_connected_call=costs.cost_per_connected_call,
            leads=costs.leads,
            cost_per_lead=costs.cost_per_lead,
            median_voice_to_voice_ms=costs.median_voice_to_voice_ms,
        )

    @strawberry.field(description="Extension (GraphQL only): cost and voice-to-voice per day, oldest first.")
    async def cost_days(self, info: Info) -> list[FlowCostDayType]:
        from app.calls.cost_statistics import flow_cost_days

        return [
            FlowCostDayType(**day.__dict__) for day in await flow_cost_days(self._flow.organisation_id, self._flow.id)
        ]

    @strawberry.field()
    async def voice_agent(self, info: Info) -> VoiceAgentType | None:
        if self.voice_agent_id is None:
            return None
        agent = await loaders(info).voice_agents.load(self.voice_agent_id)
        return VoiceAgentType.of(agent) if agent is not None else None

    @classmethod
    def of(cls, flow: Flow) -> FlowType:
        window = flow.time_window
        return cls(
            uuid=strawberry.ID(flow.id),
            kind=flow.kind,
            name=flow.name,
            status=flow.status,
            voice_agent_id=flow.voice_agent_id,
            phone_number=flow.phone_number,
            script_id=flow.script_id,
            branches=list(flow.branches or []),
            start_date=flow.start_date,
            end_date=flow.end_date,
            time_window=TimeWindow(**window) if window else None,
            config=JSON(flow.config or {}),
            created_at=flow.created_at,
            provider=flow.provider,
            updated_at=flow.updated_at,
            _flow=flow,
        )


@strawberry.input
class TimeWindowInput:
    start: str = strawberry.field(description="HH:MM, before end")
    end: str = strawberry.field(description="HH:MM")
    timezone: str = strawberry.field(description="IANA timezone, e.g. Asia/Kolkata")


@strawberry.input
class CreateFlowInput:
    kind: str = strawberry.field(description="inbound or outbound")
    name: str
    provider: str = strawberry.field(description="TTS provider: sarvam, nextneural or elevenlabs")
    voice_agent_id: str | None = UNSET
    speaker: str | None = strawberry.field(default=UNSET, description="Creates an agent with this catalog voice.")
    language_code: str | None = UNSET
    phone_number: str | None = UNSET
    script_id: str | None = UNSET
    branches: list[str] | None = UNSET
    start_date: str | None = strawberry.field(default=UNSET, description="YYYY-MM-DD")
    end_date: str | None = strawberry.field(default=UNSET, description="YYYY-MM-DD")
    time_window: TimeWindowInput | None = UNSET
    config: JSON | None = UNSET
    status: str | None = strawberry.field(default=UNSET, description="draft (default), active or paused")


@strawberry.input
class UpdateFlowInput:
    kind: str | None = UNSET
    name: str | None = UNSET
    provider: str | None = UNSET
    voice_agent_id: str | None = UNSET
    speaker: str | None = UNSET
    language_code: str | None = UNSET
    phone_number: str | None = UNSET
    script_id: str | None = UNSET
    branches: list[str] | None = UNSET
    start_date: str | None = UNSET
    end_date: str | None = UNSET
    time_window: TimeWindowInput | None = UNSET
    config: JSON | None = UNSET
    status: str | None = UNSET


@strawberry.input
class FlowFilterInput:
    kind: str | None = None
    status: str | None = None


@strawberry.type
class FlowQueries:
    @strawberry.field(description="Flows of the organisation, oldest first; filters flat (REST) or as `filter`.")
    async def flows(
        self, info: Info, kind: str | None = None, status: str | None = None, filter: FlowFilterInput | None = None
    ) -> list[FlowType]:
        organisation = await org_of(info)
        if filter is not None:
            kind, status = filter.kind or kind, filter.status or status
        return [FlowType.of(flow) for flow in await info.context.platform.flows.list(organisation, kind, status)]

    @strawberry.field
    async def flow(self, info: Info, uuid: strawberry.ID) -> FlowType:
        organisation = await org_of(info)
        return FlowType.of(await info.context.platform.flows.get(organisation, uuid))


@strawberry.type
class FlowMutations:
    @strawberry.mutation(extensions=[RateLimit("20/minute")])
    async def create_flow(self, info: Info, input: CreateFlowInput) -> FlowType:
        organisation = await org_of(info)
        return FlowType.of(await info.context.platform.flows.create(organisation, provided(input)))

    @strawberry.mutation(description="Partial update: only the fields sent change.")
    async def update_flow(self, info: Info, uuid: strawberry.ID, input: UpdateFlowInput) -> FlowType:
        organisation = await org_of(info)
        return FlowType.of(await info.context.platform.flows.update(organisation, uuid, provided(input)))

    @strawberry.mutation(description="active -> paused, paused -> active, draft -> active.")
    async def toggle_flow(self, info: Info, uuid: strawberry.ID) -> FlowType:
        organisation = await org_of(info)
        return FlowType.of(await info.context.platform.flows.toggle(organisation, uuid))

    @strawberry.mutation(description="Stops the flow's running campaign, then deletes the flow.")
    async def delete_flow(self, info: Info, uuid: strawberry.ID) -> FlowType:
        organisation = await org_of(info)
        return FlowType.of(await info.context.platform.flows.delete(organisation, uuid))
