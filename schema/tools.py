"""In-call HTTP tools in GraphQL: per voice agent and per flow, and the organisation's signing secret.
REST serves the same operations under /agents/{uuid}/tools and /flows/{uuid}/tools as extensions."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import UNSET
from strawberry.scalars import JSON

from app.tools.definitions import ToolScope, ToolView
from schema.context import Info, org_of
from schema.inputs import provided


@strawberry.enum(name="ToolScope")
class ToolScopeType(Enum):
    AGENT = "agent"
    FLOW = "flow"


@strawberry.type(name="Tool", description="An HTTP tool the agent may call during a call; header values masked.")
class ToolType:
    uuid: strawberry.ID
    scope: ToolScopeType
    owner_uuid: strawberry.ID
    name: str
    description: str
    parameters: JSON
    method: str
    url: str
    headers: JSON
    timeout_seconds: float
    speak_while_waiting: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ToolView) -> ToolType:
        return cls(
            uuid=strawberry.ID(view.uuid),
            scope=ToolScopeType(view.scope.value),
            owner_uuid=strawberry.ID(view.owner_uuid),
            name=view.name,
            description=view.description,
            parameters=JSON(view.parameters),
            method=view.method.value,
            url=view.url,
            headers=JSON(view.headers),
            timeout_seconds=view.timeout_seconds,
            speak_while_waiting=view.speak_while_waiting,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


@strawberry.type(name="ToolsSecret", description="Signs every tool request (X-NN-Signature, webhook-signature).")
class ToolsSecretType:
    secret: str


@strawberry.input
class CreateToolInput:
    name: str
    description: str
    url: str
    parameters: JSON | None = UNSET
    method: str | None = UNSET
    headers: JSON | None = UNSET
    timeout_seconds: float | None = UNSET
    speak_while_waiting: str | None = UNSET


@strawberry.input
class UpdateToolInput:
    name: str | None = UNSET
    description: str | None = UNSET
    url: str | None = UNSET
    parameters: JSON | None = UNSET
    method: str | None = UNSET
    headers: JSON | None = UNSET
    timeout_seconds: float | None = UNSET
    speak_while_waiting: str | None = UNSET


def _data(input: Any) -> dict[str, Any]:
    return dict(provided(input))


@strawberry.type
class ToolQueries:
    @strawberry.field(description="HTTP tools of a voice agent (every flow of the agent offers them).")
    async def agent_tools(self, info: Info, uuid: strawberry.ID) -> list[ToolType]:
        views = await info.context.platform.tools.list_tools(await org_of(info), ToolScope.AGENT, uuid)
        return [ToolType.of(view) for view in views]

    @strawberry.field(description="HTTP tools of a flow (added to its agent's).")
    async def flow_tools(self, info: Info, uuid: strawberry.ID) -> list[ToolType]:
        views = await info.context.platform.tools.list_tools(await org_of(info), ToolScope.FLOW, uuid)
        return [ToolType.of(view) for view in views]

    @strawberry.field(description="The secret that signs the organisation's tool requests.")
    async def tools_secret(self, info: Info) -> ToolsSecretType:
        return ToolsSecretType(secret=await info.context.platform.tools.secret(await org_of(info)))


@strawberry.type
class ToolMutations:
    @strawberry.mutation
    async def create_agent_tool(self, info: Info, uuid: strawberry.ID, input: CreateToolInput) -> ToolType:
        tools = info.context.platform.tools
        return ToolType.of(await tools.create(await org_of(info), ToolScope.AGENT, uuid, _data(input)))

    @strawberry.mutation(description="Partial update: only the fields sent change.")
    async def update_agent_tool(self, info: Info, uuid: strawberry.ID, name: str, input: UpdateToolInput) -> ToolType:
        tools = info.context.platform.tools
        return ToolType.of(await tools.update(await org_of(info), ToolScope.AGENT, uuid, name, _data(input)))

    @strawberry.mutation
    async def delete_agent_tool(self, info: Info, uuid: strawberry.ID, name: str) -> ToolType:
        tools = info.context.platform.tools
        return ToolType.of(await tools.delete(await org_of(info), ToolScope.AGENT, uuid, name))

    @strawberry.mutation
    async def create_flow_tool(self, info: Info, uuid: strawberry.ID, input: CreateToolInput) -> ToolType:
        tools = info.context.platform.tools
        return ToolType.of(await tools.create(await org_of(info), ToolScope.FLOW, uuid, _data(input)))

    @strawberry.mutation(description="Partial update: only the fields sent change.")
    async def update_flow_tool(self, info: Info, uuid: strawberry.ID, name: str, input: UpdateToolInput) -> ToolType:
        tools = info.context.platform.tools
        return ToolType.of(await tools.update(await org_of(info), ToolScope.FLOW, uuid, name, _data(input)))

    @strawberry.mutation
    async def delete_flow_tool(self, info: Info, uuid: strawberry.ID, name: str) -> ToolType:
        tools = info.context.platform.tools
        return ToolType.of(await tools.delete(await org_of(info), ToolScope.FLOW, uuid, name))

    @strawberry.mutation(description="A new tools secret; requests are signed with it from now on.")
    async def rotate_tools_secret(self, info: Info) -> ToolsSecretType:
        return ToolsSecretType(secret=await info.context.platform.tools.rotate_secret(await org_of(info)))
