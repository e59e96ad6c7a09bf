"""DataLoaders, created once per GraphQL operation (never per WebSocket connection, whose context lives
as long as the socket and would serve stale, cross-operation caches).

The OperationLoaders extension opens a fresh set before each operation executes; resolvers reach it
through `loaders(info)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar

from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension

from app.calls.cost_statistics import FlowCosts, flow_costs
from app.db.models import Call, Flow, VoiceAgent
from app.flows.metrics import FlowMetrics, flow_metrics
from app.platform import Platform
from schema.context import Info, RequestContext

_current: ContextVar[Loaders | None] = ContextVar("graphql_loaders", default=None)


class Loaders:
    def __init__(self, platform: Platform) -> None:
        self.voice_agents: DataLoader[str, VoiceAgent | None] = DataLoader(load_fn=self._voice_agents)
        self.recent_calls: DataLoader[str, list[Call]] = DataLoader(load_fn=self._recent_calls)
        self.flow_metrics: DataLoader[Flow, FlowMetrics] = DataLoader(
            load_fn=self._flow_metrics, cache_key_fn=lambda flow: flow.id
        )
        self.flow_costs: DataLoader[Flow, FlowCosts] = DataLoader(
            load_fn=self._flow_costs, cache_key_fn=lambda flow: flow.id
        )
        self._platform = platform

    async def _voice_agents(self, ids: list[str]) -> list[VoiceAgent | None]:
        found = {agent.id: agent for agent in await VoiceAgent.filter(id__in=ids)}
        return [found.get(agent_id) for agent_id in ids]

    async def _recent_calls(self, customer_ids: list[str]) -> list[list[Call]]:
        found = await self._platform.customers.recent_calls(customer_ids)
        return [found[customer_id] for customer_id in customer_ids]

    async def _flow_metrics(self, flows: list[Flow]) -> list[FlowMetrics]:
        found = await flow_metrics(flows)
        return [found[flow.id] for flow in flows]

    async def _flow_costs(self, flows: list[Flow]) -> list[FlowCosts]:
        by_organisation: dict[str, list[str]] = {}
        for flow in flows:
            by_organisation.setdefault(flow.organisation_id, []).append(flow.id)
        found: dict[str, FlowCosts] = {}
        for organisation_id, ids in by_organisation.items():
            found.update(await flow_costs(organisation_id, ids))
        return [found[flow.id] for flow in flows]


class OperationLoaders(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        token = _current.set(Loaders(context.platform) if isinstance(context, RequestContext) else None)
        try:
            yield
        finally:
            try:
                _current.reset(token)
            except ValueError:  # finished in another context (subscriptions): nothing to restore
                pass


def loaders(info: Info) -> Loaders:
    """This operation's loaders (a private set when run outside the extension, e.g. in unit tests)."""
    current = _current.get()
    if current is None:
        current = Loaders(info.context.platform)
        _current.set(current)
    return current
