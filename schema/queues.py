"""Human-agent queues in GraphQL: organisation config for warm transfers, with agents' presence."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import UNSET

from app.db.models import HumanAgent, HumanQueue
from schema.context import Info, org_of
from schema.inputs import provided


@strawberry.type(name="HumanAgent")
class HumanAgentType:
    uuid: strawberry.ID
    name: str
    presence: str = strawberry.field(description="available, busy or offline")
    updated_at: datetime

    @classmethod
    def of(cls, agent: HumanAgent) -> HumanAgentType:
        return cls(uuid=strawberry.ID(agent.id), name=agent.name, presence=agent.presence, updated_at=agent.updated_at)


@strawberry.type(name="HumanQueue")
class HumanQueueType:
    uuid: strawberry.ID
    name: str
    transfer_number: str
    agents: list[HumanAgentType]
    available_agents: int

    @classmethod
    def of(cls, queue: HumanQueue) -> HumanQueueType:
        agents = sorted(queue.agents, key=lambda agent: (agent.name, agent.id))
        return cls(
            uuid=strawberry.ID(queue.id),
            name=queue.name,
            transfer_number=queue.transfer_number,
            agents=[HumanAgentType.of(agent) for agent in agents],
            available_agents=sum(1 for agent in agents if agent.presence == "available"),
        )


@strawberry.input
class HumanQueueInput:
    name: str = strawberry.field(description="The transfer target, e.g. sales_specialist")
    transfer_number: str = strawberry.field(description="E.164 number the bridge dials")


@strawberry.input
class HumanQueuePatch:
    name: str | None = UNSET
    transfer_number: str | None = UNSET


@strawberry.input
class HumanAgentInput:
    name: str
    presence: str | None = "offline"


@strawberry.type
class QueueQueries:
    @strawberry.field(description="Human-agent queues of the organisation, by name.")
    async def human_queues(self, info: Info) -> list[HumanQueueType]:
        organisation = await org_of(info)
        return [HumanQueueType.of(queue) for queue in await info.context.platform.queues.list(organisation)]


@strawberry.type
class QueueMutations:
    @strawberry.mutation
    async def create_human_queue(self, info: Info, input: HumanQueueInput) -> HumanQueueType:
        organisation = await org_of(info)
        return HumanQueueType.of(await info.context.platform.queues.create(organisation, provided(input)))

    @strawberry.mutation
    async def update_human_queue(self, info: Info, uuid: strawberry.ID, input: HumanQueuePatch) -> HumanQueueType:
        organisation = await org_of(info)
        return HumanQueueType.of(await info.context.platform.queues.update(organisation, uuid, provided(input)))

    @strawberry.mutation
    async def delete_human_queue(self, info: Info, uuid: strawberry.ID) -> strawberry.ID:
        organisation = await org_of(info)
        return strawberry.ID((await info.context.platform.queues.delete(organisation, uuid)).id)

    @strawberry.mutation
    async def add_human_agent(self, info: Info, queue_uuid: strawberry.ID, input: HumanAgentInput) -> HumanAgentType:
        organisation = await org_of(info)
        return HumanAgentType.of(
            await info.context.platform.queues.add_agent(organisation, queue_uuid, provided(input))
        )

    @strawberry.mutation(description="available, busy or offline: what agent-availability and transfers read.")
    async def set_human_agent_presence(self, info: Info, uuid: strawberry.ID, presence: str) -> HumanAgentType:
        organisation = await org_of(info)
        return HumanAgentType.of(await info.context.platform.queues.set_presence(organisation, uuid, presence))

    @strawberry.mutation
    async def remove_human_agent(self, info: Info, uuid: strawberry.ID) -> strawberry.ID:
        organisation = await org_of(info)
        return strawberry.ID((await info.context.platform.queues.remove_agent(organisation, uuid)).id)
