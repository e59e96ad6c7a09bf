"""Flows: inbound lines and outbound campaigns, each with a voice agent, an optional script and config."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import field_checks as check
from app.agents.service import AgentService
from app.db.models import Flow, Script
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.flows.fields import KINDS, STATUSES, check_dates, plain_fields
from app.ids import new_id
from app.voice_catalog import catalog
from app.voice_catalog.custom_voices import find_custom_voice

LINE_TAKEN = "phone_number is already the line of another active inbound flow"
TOGGLE = {"draft": "active", "active": "paused", "paused": "active"}


class CampaignStopper(Protocol):
    """The dialer's stop (issue 6): deleting a flow stops its running campaign first."""

    async def stop_campaign(self, organisation_id: str, flow_id: str) -> None: ...


class NoCampaigns:
    """Until the dialer exists there is no running campaign to stop."""

    async def stop_campaign(self, organisation_id: str, flow_id: str) -> None:
        return None


class FlowService:
    def __init__(self, agents: AgentService, campaigns: CampaignStopper | None = None) -> None:
        self._agents = agents
        self.campaigns: CampaignStopper = campaigns or NoCampaigns()

    async def list(self, organisation_id: str, kind: str | None = None, status: str | None = None) -> list[Flow]:
        query = Flow.filter(organisation_id=organisation_id)
        if kind is not None:
            query = query.filter(kind=check.one_of("kind", kind, KINDS))
        if status is not None:
            query = query.filter(status=check.one_of("status", status, STATUSES))
        return await query.order_by("created_at", "id")

    async def get(self, organisation_id: str, flow_id: str) -> Flow:
        flow = await Flow.get_or_none(id=flow_id, organisation_id=organisation_id)
        if flow is None:
            raise NotFound("Flow not found")
        return flow

    async def create(self, organisation_id: str, data: Mapping[str, Any]) -> Flow:
        fields = plain_fields(data, partial=False)
        check_dates(fields.get("start_date"), fields.get("end_date"))
        fields.update(await self._script(organisation_id, data))
        flow = Flow(id=new_id("flw"), organisation_id=organisation_id, **fields)
        await self._check_agent_reference(organisation_id, data, flow.provider)
        self._check_activation(flow, Invalid)
        async with in_transaction():
            flow.voice_agent_id = await self._agent(organisation_id, data, flow.provider, flow.kind)
            self._check_activation(flow, Invalid)
            await self._save(flow, None)
        return flow

    async def update(self, organisation_id: str, flow_id: str, changes: Mapping[str, Any]) -> Flow:
        """Partial: only the sent fields change."""
        flow = await self.get(organisation_id, flow_id)
        fields = plain_fields(changes, partial=True)
        fields.update(await self._script(organisation_id, changes))
        flow.update_from_dict(fields)
        check_dates(flow.start_date, flow.end_date)
        await self._check_agent_reference(organisation_id, changes, flow.provider)
        async with in_transaction():
            if "voice_agent_id" in changes or changes.get("speaker") is not None:
                flow.voice_agent_id = await self._agent(organisation_id, changes, flow.provider, flow.kind)
            self._check_activation(flow, Invalid)
            await self._save(flow, [*fields, "voice_agent_id", "active_inbound_number", "updated_at"])
        return flow

    async def toggle(self, organisation_id: str, flow_id: str) -> Flow:
        """active -> paused, paused -> active, draft -> active."""
        flow = await self.get(organisation_id, flow_id)
        flow.status = TOGGLE[flow.status]
        self._check_activation(flow, Conflict)
        await self._save(flow, ["status", "active_inbound_number", "updated_at"])
        return flow

    async def delete(self, organisation_id: str, flow_id: str) -> Flow:
        flow = await self.get(organisation_id, flow_id)
        await self.campaigns.stop_campaign(organisation_id, flow.id)
        await flow.delete()
        return flow

    async def _save(self, flow: Flow, update_fields: builtins.list[str] | None) -> None:
        """Claims the inbound line; the unique column makes two organisations racing for it safe."""
        line = flow.phone_number if flow.kind == "inbound" and flow.status == "active" else None
        flow.active_inbound_number = line
        if line and await Flow.filter(active_inbound_number=line).exclude(id=flow.id).exists():
            raise Conflict(LINE_TAKEN)
        try:
            if update_fields is None:
                await flow.save(force_create=True)
            else:
                await flow.save(update_fields=update_fields)
        except IntegrityError:
            raise Conflict(LINE_TAKEN) from None

    @staticmethod
    def _check_activation(flow: Flow, error: type[DomainError]) -> None:
        if flow.status != "active":
            return
        if flow.kind == "inbound" and not flow.phone_number:
            raise error("phone_number is required for an active inbound flow")

    async def _script(self, organisation_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        if "script_id" not in data:
            return {}
        script_id = data["script_id"]
        if script_id is not None and not await Script.filter(id=script_id, organisation_id=organisation_id).exists():
            raise Invalid("script_id does not name a script of the organisation")
        return {"script_id": script_id}

    async def _check_agent_reference(self, organisation_id: str, data: Mapping[str, Any], provider: str) -> None:
        agent_id = data.get("voice_agent_id")
        if agent_id is not None:
            try:
                await self._agents.get_active(organisation_id, agent_id)
            except NotFound:
                raise Invalid("voice_agent_id does not name an active voice agent of the organisation") from None
        elif data.get("speaker") is not None:
            await _speaker_voice(organisation_id, {**data, "provider": data.get("provider", provider)})

    async def _agent(self, organisation_id: str, data: Mapping[str, Any], provider: str, kind: str) -> str | None:
        """The given agent, else one created from the catalog voice of `speaker`, else none."""
        if data.get("voice_agent_id") is not None:
            agent_id: str = data["voice_agent_id"]
            return agent_id
        if data.get("speaker") is None:
            return None
        display_name, voice_config = await _speaker_voice(
            organisation_id, {**data, "provider": data.get("provider", provider)}
        )
        agent = await self._agents.create(
            organisation_id,
            {
                "name": display_name,
                "role": "Inbound line" if kind == "inbound" else "Outbound campaign",
                "voice_config": voice_config,
            },
        )
        return agent.id


async def _speaker_voice(organisation_id: str, data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(display name, voice_config) of a catalog voice, or of the organisation's deployed cloned speaker."""
    speaker = check.text("speaker", data.get("speaker"), max_length=128)
    provider = data.get("provider")
    language = check.language_tag("language_code", data.get("language_code"))
    voice = catalog.find_voice(provider, speaker, language_code=language) if provider else None
    if voice is not None:
        return voice.display_name, {
            "provider": voice.provider.value,
            "model": voice.model,
            "speaker": voice.speaker,
            "language_code": voice.language_code,
        }
    if provider == catalog.VoiceProvider.NEXTNEURAL.value:
        custom = await find_custom_voice(organisation_id, speaker)
        if custom is not None and custom.deployed and language in (None, custom.language_code):
            return custom.speaker, {
                "provider": custom.provider,
                "model": custom.model,
                "speaker": custom.speaker,
                "language_code": custom.language_code,
            }
    where = f" in {language}" if language else ""
    raise Invalid(f"speaker '{speaker}' is not a {provider} voice{where}")
