"""Tools of an agent or a flow: create, read (header values masked), change, delete; the tools a call may
use; and the per-organisation secret that signs tool requests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.db.models import Flow, Tool, ToolSecret, VoiceAgent
from app.errors import Invalid, NotFound
from app.ids import new_id
from app.tools import validation as check
from app.tools.definitions import MAX_TOOLS_PER_SCOPE, ToolDefinition, ToolMethod, ToolScope, ToolView, mask
from app.webhooks.addresses import AddressPolicy
from app.webhooks.signing import SecretBox, new_secret

FIELDS = ("name", "description", "parameters", "method", "url", "headers", "timeout_seconds", "speak_while_waiting")


class ToolService:
    def __init__(self, secret_key: str, policy: AddressPolicy) -> None:
        self._box = SecretBox(secret_key, purpose="tool-secrets")
        self.policy = policy

    # reads -----------------------------------------------------------------------------------------
    async def list_tools(self, organisation_id: str, scope: ToolScope, owner_id: str) -> list[ToolView]:
        await self._owner(organisation_id, scope, owner_id)
        rows = await Tool.filter(organisation_id=organisation_id, **_owned_by(scope, owner_id)).order_by(
            "created_at", "id"
        )
        return [self._view(row) for row in rows]

    async def get(self, organisation_id: str, scope: ToolScope, owner_id: str, name: str) -> ToolView:
        return self._view(await self._row(organisation_id, scope, owner_id, name))

    async def for_call(self, organisation_id: str, agent_id: str | None, flow_id: str | None) -> list[ToolDefinition]:
        """The agent's tools plus the flow's; a flow tool of the same name replaces the agent's."""
        found: dict[str, ToolDefinition] = {}
        if agent_id:
            for row in await Tool.filter(organisation_id=organisation_id, voice_agent_id=agent_id).order_by("id"):
                found[row.name] = self._definition(row, ToolScope.AGENT)
        if flow_id:
            for row in await Tool.filter(organisation_id=organisation_id, flow_id=flow_id).order_by("id"):
                found[row.name] = self._definition(row, ToolScope.FLOW)
        return list(found.values())

    # writes ----------------------------------------------------------------------------------------
    async def create(self, organisation_id: str, scope: ToolScope, owner_id: str, data: Mapping[str, Any]) -> ToolView:
        owner = await self._owner(organisation_id, scope, owner_id)
        fields = await self._fields(data, stored=None)
        await self._check_name_free(organisation_id, scope, owner, fields["name"])
        if (
            await Tool.filter(organisation_id=organisation_id, **_owned_by(scope, owner_id)).count()
            >= MAX_TOOLS_PER_SCOPE
        ):
            raise Invalid(f"name: at most {MAX_TOOLS_PER_SCOPE} tools per {scope.value}")
        try:
            row = await Tool.create(
                id=new_id("tol"), organisation_id=organisation_id, **_owned_by(scope, owner_id), **self._stored(fields)
            )
        except IntegrityError:
            raise Invalid(f"name '{fields['name']}' is already a tool of this {scope.value}") from None
        return self._view(row)

    async def update(
        self, organisation_id: str, scope: ToolScope, owner_id: str, name: str, changes: Mapping[str, Any]
    ) -> ToolView:
        row = await self._row(organisation_id, scope, owner_id, name)
        stored = self._headers(row)
        current = {
            "name": row.name,
            "description": row.description,
            "parameters": row.parameters,
            "method": row.method,
            "url": row.url,
            "headers": stored,
            "timeout_seconds": row.timeout_seconds,
            "speak_while_waiting": row.speak_while_waiting,
        }
        unknown = sorted(set(changes) - set(FIELDS))
        if unknown:
            raise Invalid(f"unknown field: {unknown[0]}")
        fields = await self._fields({**current, **changes}, stored=stored)
        if fields["name"] != row.name:
            owner = await self._owner(organisation_id, scope, owner_id)
            await self._check_name_free(organisation_id, scope, owner, fields["name"])
        row.update_from_dict(self._stored(fields))
        try:
            await row.save()
        except IntegrityError:
            raise Invalid(f"name '{fields['name']}' is already a tool of this {scope.value}") from None
        return self._view(row)

    async def delete(self, organisation_id: str, scope: ToolScope, owner_id: str, name: str) -> ToolView:
        row = await self._row(organisation_id, scope, owner_id, name)
        await row.delete()
        return self._view(row)

    # the signing secret ----------------------------------------------------------------------------
    async def secret(self, organisation_id: str) -> str:
        """The organisation's tools secret, made on first use; receivers verify requests with it."""
        row = await ToolSecret.get_or_none(organisation_id=organisation_id)
        if row is None:
            try:
                row = await ToolSecret.create(organisation_id=organisation_id, secret=self._box.seal(new_secret()))
            except IntegrityError:  # made by a concurrent first use
                row = await ToolSecret.get(organisation_id=organisation_id)
        return self._box.open(row.secret)

    async def rotate_secret(self, organisation_id: str) -> str:
        secret = new_secret()
        async with in_transaction():
            updated = await ToolSecret.filter(organisation_id=organisation_id).update(secret=self._box.seal(secret))
            if not updated:
                await ToolSecret.create(organisation_id=organisation_id, secret=self._box.seal(secret))
        return secret

    # parts -----------------------------------------------------------------------------------------
    async def _owner(self, organisation_id: str, scope: ToolScope, owner_id: str) -> VoiceAgent | Flow:
        if scope == ToolScope.AGENT:
            agent = await VoiceAgent.get_or_none(id=owner_id, organisation_id=organisation_id)
            if agent is None:
                raise NotFound("Voice agent not found")
            return agent
        flow = await Flow.get_or_none(id=owner_id, organisation_id=organisation_id)
        if flow is None:
            raise NotFound("Flow not found")
        return flow

    async def _row(self, organisation_id: str, scope: ToolScope, owner_id: str, name: str) -> Tool:
        await self._owner(organisation_id, scope, owner_id)
        row = await Tool.get_or_none(organisation_id=organisation_id, name=name, **_owned_by(scope, owner_id))
        if row is None:
            raise NotFound("Tool not found")
        return row

    async def _check_name_free(
        self, organisation_id: str, scope: ToolScope, owner: VoiceAgent | Flow, name: str
    ) -> None:
        if await Tool.filter(organisation_id=organisation_id, name=name, **_owned_by(scope, owner.id)).exists():
            raise Invalid(f"name '{name}' is already a tool of this {scope.value}")
        if not isinstance(owner, Flow):
            return
        agent_id = await Flow.filter(id=owner.id).values_list("voice_agent_id", flat=True)
        if (
            agent_id
            and agent_id[0]
            and await Tool.filter(organisation_id=organisation_id, name=name, voice_agent_id=agent_id[0]).exists()
        ):
            raise Invalid(f"name '{name}' is already a tool of the flow's voice agent")

    async def _fields(self, data: Mapping[str, Any], stored: Mapping[str, str] | None) -> dict[str, Any]:
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise Invalid(f"unknown field: {unknown[0]}")
        return {
            "name": check.name(data.get("name")),
            "description": check.description(data.get("description")),
            "parameters": check.parameters(data.get("parameters")),
            "method": check.method(data.get("method")),
            "url": await check.url(data.get("url"), self.policy),
            "headers": check.headers(data.get("headers"), stored),
            "timeout_seconds": check.timeout_seconds(data.get("timeout_seconds")),
            "speak_while_waiting": check.speak_while_waiting(data.get("speak_while_waiting")),
        }

    def _stored(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        headers = fields["headers"]
        return {
            **fields,
            "method": fields["method"].value,
            "headers": self._box.seal(json.dumps(headers)) if headers else None,
        }

    def _headers(self, row: Tool) -> dict[str, str]:
        return dict(json.loads(self._box.open(row.headers))) if row.headers else {}

    def _definition(self, row: Tool, scope: ToolScope) -> ToolDefinition:
        return ToolDefinition(
            name=row.name,
            description=row.description,
            parameters=dict(row.parameters or {}),
            method=ToolMethod(row.method),
            url=row.url,
            headers=self._headers(row),
            timeout_seconds=row.timeout_seconds,
            speak_while_waiting=row.speak_while_waiting,
            scope=scope,
        )

    def _view(self, row: Tool) -> ToolView:
        scope = ToolScope.FLOW if row.flow_id else ToolScope.AGENT
        return ToolView(
            uuid=row.id,
            scope=scope,
            owner_uuid=str(row.flow_id or row.voice_agent_id),
            name=row.name,
            description=row.description,
            parameters=dict(row.parameters or {}),
            method=ToolMethod(row.method),
            url=row.url,
            headers={key: mask(value) for key, value in self._headers(row).items()},
            timeout_seconds=row.timeout_seconds,
            speak_while_waiting=row.speak_while_waiting,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _owned_by(scope: ToolScope, owner_id: str) -> dict[str, Any]:
    return {"voice_agent_id": owner_id} if scope == ToolScope.AGENT else {"flow_id": owner_id}
