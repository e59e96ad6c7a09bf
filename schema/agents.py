"""Voice agents in GraphQL: types, queries, mutations and the agentChanges subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from datetime import datetime
from typing import Any

import strawberry
from strawberry import UNSET

from app.agents.service import AGENT_COLUMNS, agents_channel
from app.db.models import VoiceAgent
from schema.context import Info, org_of
from schema.inputs import provided
from schema.rate_limit import RateLimit


@strawberry.type
class VoiceConfig:
    provider: str
    model: str | None
    speaker: str | None
    language_code: str | None
    sample_url: str | None


@strawberry.type(name="VoiceAgent")
class VoiceAgentType:
    uuid: strawberry.ID
    name: str
    role: str
    description: str | None
    avatar_color: str | None
    avatar_initials: str | None
    voice_config: VoiceConfig | None
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, agent: VoiceAgent | Mapping[str, Any]) -> VoiceAgentType:
        """From a model or from a `.values()` row of the same columns."""
        row = agent if isinstance(agent, Mapping) else {column: getattr(agent, column) for column in AGENT_COLUMNS}
        config = row["voice_config"]
        return cls(
            uuid=strawberry.ID(row["id"]),
            name=row["name"],
            role=row["role"],
            description=row["description"],
            avatar_color=row["avatar_color"],
            avatar_initials=row["avatar_initials"],
            voice_config=VoiceConfig(**config) if config else None,
            is_active=row["is_active"],
            created_at=row["created_at"],
        )


@strawberry.input
class VoiceConfigInput:
    provider: str
    model: str | None = UNSET
    speaker: str | None = UNSET
    language_code: str | None = UNSET


@strawberry.input
class VoiceConfigPatch:
    provider: str | None = UNSET
    model: str | None = UNSET
    speaker: str | None = UNSET
    language_code: str | None = UNSET


@strawberry.input
class CreateVoiceAgentInput:
    name: str
    role: str
    description: str | None = UNSET
    avatar_color: str | None = UNSET
    avatar_initials: str | None = UNSET
    voice_config: VoiceConfigInput | None = UNSET


@strawberry.input
class UpdateVoiceAgentInput:
    name: str | None = UNSET
    role: str | None = UNSET
    description: str | None = UNSET
    avatar_color: str | None = UNSET
    avatar_initials: str | None = UNSET
    voice_config: VoiceConfigPatch | None = UNSET


@strawberry.type
class AgentChange:
    change: str = strawberry.field(description="created, updated or deleted")
    agent: VoiceAgentType


@strawberry.type
class AgentQueries:
    @strawberry.field(description="Active voice agents of the organisation, oldest first.")
    async def agents(self, info: Info) -> list[VoiceAgentType]:
        organisation = await org_of(info)
        return [VoiceAgentType.of(agent) for agent in await info.context.platform.agents.list(organisation)]

    @strawberry.field(description="One voice agent, active or soft-deleted.")
    async def agent(self, info: Info, uuid: strawberry.ID) -> VoiceAgentType:
        organisation = await org_of(info)
        return VoiceAgentType.of(await info.context.platform.agents.get(organisation, uuid))


@strawberry.type
class AgentMutations:
    @strawberry.mutation(extensions=[RateLimit("20/minute")])
    async def create_agent(self, info: Info, input: CreateVoiceAgentInput) -> VoiceAgentType:
        organisation = await org_of(info)
        return VoiceAgentType.of(await info.context.platform.agents.create(organisation, provided(input)))

    @strawberry.mutation(description="Partial update: only the fields sent change.")
    async def update_agent(self, info: Info, uuid: strawberry.ID, input: UpdateVoiceAgentInput) -> VoiceAgentType:
        organisation = await org_of(info)
        return VoiceAgentType.of(await info.context.platform.agents.update(organisation, uuid, provided(input)))

    @strawberry.mutation(description="Soft delete: is_active becomes false; running calls are not affected.")
    async def delete_agent(self, info: Info, uuid: strawberry.ID) -> VoiceAgentType:
        organisation = await org_of(info)
        return VoiceAgentType.of(await info.context.platform.agents.deactivate(organisation, uuid))


@strawberry.type
class AgentSubscriptions:
    @strawberry.subscription(description="Agents of the organisation as they are created, updated or deleted.")
    async def agent_changes(self, info: Info) -> AsyncGenerator[AgentChange, None]:
        organisation = await org_of(info)
        agents = info.context.platform.agents
        async with info.context.platform.bus.subscribe(agents_channel(organisation)) as events:
            async for event in events:
                agent = await agents.get(organisation, event["agent_id"])
                yield AgentChange(change=event["change"], agent=VoiceAgentType.of(agent))
