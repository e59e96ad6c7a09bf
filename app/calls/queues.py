"""Human-agent queues, organisation config: the transfer targets and who in them can take a call."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError

from app import field_checks as check
from app.db.models import HumanAgent, HumanQueue
from app.errors import Conflict, Invalid, NotFound
from app.ids import new_id

PRESENCES = ("available", "busy", "offline")
QUEUE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


def _queue_name(value: Any) -> str:
    name = check.text("name", value, max_length=100)
    if not QUEUE_NAME.match(name or ""):
        raise Invalid("name must be lowercase letters, digits, '_', '-' or '.', e.g. sales_specialist")
    return name


class HumanQueueService:
    async def list(self, organisation_id: str) -> list[HumanQueue]:
        return await HumanQueue.filter(organisation_id=organisation_id).order_by("name").prefetch_related("agents")

    async def get(self, organisation_id: str, queue_id: str) -> HumanQueue:
        queue = await HumanQueue.get_or_none(id=queue_id, organisation_id=organisation_id)
        if queue is None:
            raise NotFound("Queue not found")
        await queue.fetch_related("agents")
        return queue

    async def by_name(self, organisation_id: str, name: Any) -> HumanQueue:
        """The transfer target named in a workflow action; an unknown name is the caller's mistake."""
        target = check.text("target", name, max_length=100)
        queue = await HumanQueue.get_or_none(organisation_id=organisation_id, name=target)
        if queue is None:
            raise Invalid(f"target: no queue named {target!r} in this organisation")
        return queue

    async def available_agents(self, queue_id: str) -> int:
        return await HumanAgent.filter(queue_id=queue_id, presence="available").count()

    async def create(self, organisation_id: str, data: Mapping[str, Any]) -> HumanQueue:
        queue = HumanQueue(
            id=new_id("que"),
            organisation_id=organisation_id,
            name=_queue_name(data.get("name")),
            transfer_number=check.e164("transfer_number", data.get("transfer_number"), numbering_plan=False),
        )
        try:
            await queue.save()
        except IntegrityError:
            raise Conflict("a queue with this name already exists") from None
        return await self.get(organisation_id, queue.id)

    async def update(self, organisation_id: str, queue_id: str, data: Mapping[str, Any]) -> HumanQueue:
        queue = await self.get(organisation_id, queue_id)
        if "name" in data:
            queue.name = _queue_name(data["name"])
        if "transfer_number" in data:
            queue.transfer_number = check.e164("transfer_number", data["transfer_number"], numbering_plan=False)
        try:
            await queue.save()
        except IntegrityError:
            raise Conflict("a queue with this name already exists") from None
        return await self.get(organisation_id, queue_id)

    async def delete(self, organisation_id: str, queue_id: str) -> HumanQueue:
        queue = await self.get(organisation_id, queue_id)
        await queue.delete()
        return queue

    async def add_agent(self, organisation_id: str, queue_id: str, data: Mapping[str, Any]) -> HumanAgent:
        queue = await self.get(organisation_id, queue_id)
        agent = HumanAgent(
            id=new_id("hum"),
            queue_id=queue.id,
            name=check.text("name", data.get("name"), max_length=200),
            presence=check.one_of("presence", data.get("presence") or "offline", PRESENCES),
        )
        await agent.save()
        return agent

    async def _agent(self, organisation_id: str, agent_id: str) -> HumanAgent:
        agent = await HumanAgent.get_or_none(id=agent_id, queue__organisation_id=organisation_id)
        if agent is None:
            raise NotFound("Agent not found")
        return agent

    async def set_presence(self, organisation_id: str, agent_id: str, presence: Any) -> HumanAgent:
        agent = await self._agent(organisation_id, agent_id)
        agent.presence = check.one_of("presence", presence, PRESENCES)
        await agent.save()
        return agent

    async def remove_agent(self, organisation_id: str, agent_id: str) -> HumanAgent:
        agent = await self._agent(organisation_id, agent_id)
        await agent.delete()
        return agent
