"""Which flow a call belongs to, and everything the session needs to know about it (a CallContext).

Inbound: the called number among active inbound lines. Outbound: the custom parameters the dialer put on the
call (`flow_id`, `call_id`, `customer_id`). Browser tests: the flow named in the URL, of the caller's
organisation. An unknown number or flow resolves to None and nothing is created.

Outbound numbers are ours, not the stream's: Exotel reports `from`/`to` from its own side of the call, so an
outbound call keeps the caller ID (`from_number`) and the customer's phone (`to_number`) the dialer recorded
(`outbound_numbers`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

import phonenumbers

from app.calls.contract import CallType
from app.db.models import Call, Customer, Flow
from app.voice.context import CallContext, CustomerView, ScriptView, VoiceConfig

log = logging.getLogger("app.voice.flows")


class AccountCheck(Protocol):
    async def allows(self, account_sid: str | None, organisation_id: str) -> bool:
        """Is this telephony account connected to the organisation that owns the flow?"""


class AcceptAllAccounts:
    """For tests and embedded runtimes without integrations: every account is accepted."""

    async def allows(self, account_sid: str | None, organisation_id: str) -> bool:
        return True


class OrganisationKeys(Protocol):
    async def sarvam_account(self, organisation_id: str) -> Any:
        """The organisation's own Sarvam integration (`api_key`, `streaming`), if it connected one."""


class ToolSource(Protocol):
    async def for_call(self, organisation_id: str, agent_id: str | None, flow_id: str | None) -> Any:
        """The HTTP tools of the agent and the flow (`app.tools.service.ToolService`)."""

    async def secret(self, organisation_id: str) -> str:
        """The organisation's tools secret."""


class NoOrganisationKeys:
    async def sarvam_account(self, organisation_id: str) -> Any:
        return None


def number_candidates(raw: str | None, region: str = "IN") -> list[str]:
    """The number as sent and in E.164 (Exotel sends ExoPhones like 08047112345 or +918047112345)."""
    if not raw:
        return []
    raw = str(raw).strip()
    candidates = [raw]
    try:
        parsed = phonenumbers.parse(raw, None if raw.startswith("+") else region)
        candidates.append(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    except phonenumbers.NumberParseException:
        pass
    return list(dict.fromkeys(candidates))


def outbound_numbers(
    recorded: Mapping[str, Any],
    flow_number: str | None,
    customer_phone: str | None,
    stream: tuple[str | None, str | None],
) -> tuple[str | None, str | None]:
    """(caller ID, customer's phone) of an outbound call: what the dialer recorded on the call row, then the
    flow's line and the customer's phone; the stream's `from`/`to` only fill a gap, in either order (the
    one that is not our caller ID is the customer)."""
    caller_id = recorded.get("from_number") or flow_number or None
    customer = recorded.get("to_number") or customer_phone or None
    ours = set(number_candidates(caller_id))
    others = [number for number in stream if number and not ours & set(number_candidates(number))]
    if customer is None and others:
        customer = others[0]
    if caller_id is None:
        mine = set(number_candidates(customer))
        rest = [number for number in stream if number and not mine & set(number_candidates(number))]
        caller_id = rest[0] if rest else None
    return caller_id, customer


class FlowResolver:
    def __init__(
        self,
        accounts: AccountCheck | None = None,
        keys: OrganisationKeys | None = None,
        tools: ToolSource | None = None,
    ) -> None:
        self.accounts = accounts or AcceptAllAccounts()
        self.keys = keys or NoOrganisationKeys()
        self.tools = tools

    async def inbound(
        self,
        to_number: str | None,
        from_number: str | None,
        account_sid: str | None = None,
        provider_call_id: str | None = None,
    ) -> CallContext | None:
        candidates = number_candidates(to_number)
        if not candidates:
            return None
        flow = (
            await Flow.filter(active_inbound_number__in=candidates, kind="inbound", status="active")
            .select_related("voice_agent", "script")
            .first()
        )
        if flow is None or not await self.accounts.allows(account_sid, flow.organisation_id):
            return None
        customer = await self._customer_by_phone(flow.organisation_id, from_number)
        return await self._with_voice_language(
            self._context(flow, CallType.INBOUND, customer, from_number, to_number, provider_call_id)
        )

    async def outbound(
        self,
        parameters: Mapping[str, Any],
        from_number: str | None,
        to_number: str | None,
        account_sid: str | None = None,
        provider_call_id: str | None = None,
    ) -> CallContext | None:
        flow_id = parameters.get("flow_id")
        if not flow_id:
            return None
        flow = await Flow.filter(id=str(flow_id), kind="outbound").select_related("voice_agent", "script").first()
        if flow is None or not await self.accounts.allows(account_sid, flow.organisation_id):
            return None
        customer = None
        if parameters.get("customer_id"):
            customer = await Customer.get_or_none(
                id=str(parameters["customer_id"]), organisation_id=flow.organisation_id
            )
        if customer is None:
            customer = await self._customer_by_phone(
                flow.organisation_id, from_number
            ) or await self._customer_by_phone(flow.organisation_id, to_number)
        call_id = str(parameters["call_id"]) if parameters.get("call_id") else None
        recorded = (
            await Call.filter(id=call_id, organisation_id=flow.organisation_id).values("from_number", "to_number")
            if call_id
            else []
        )
        caller_id, customer_phone = outbound_numbers(
            recorded[0] if recorded else {},
            flow.phone_number,
            customer.phone if customer else None,
            (from_number, to_number),
        )
        return await self._with_voice_language(
            self._context(flow, CallType.OUTBOUND, customer, caller_id, customer_phone, provider_call_id, call_id)
        )

    async def test(self, organisation_id: str, flow_id: str) -> CallContext | None:
        flow = (
            await Flow.filter(id=flow_id, organisation_id=organisation_id)
            .select_related("voice_agent", "script")
            .first()
        )
        if flow is None:
            return None
        return await self._with_voice_language(self._context(flow, CallType.TEST, None, None, None, None))

    async def _with_voice_language(self, context: CallContext) -> CallContext:
        """An organisation's cloned (nextneural) speaker carries its language on the speaker, not the agent;
        its Sarvam integration (key, and REST or streaming), when connected, is used for this call's providers;
        the agent's and flow's HTTP tools come with the organisation's tools secret."""
        if self.tools is not None:
            tools = tuple(await self.tools.for_call(context.organisation_id, context.voice_agent_id, context.flow_id))
            if tools:
                context = replace(context, tools=tools, tools_secret=await self.tools.secret(context.organisation_id))
        sarvam = await self.keys.sarvam_account(context.organisation_id)
        if sarvam is not None:
            context = replace(context, sarvam_api_key=sarvam.api_key, sarvam_streaming=sarvam.streaming)
        voice = context.voice
        if voice.provider != "nextneural" or not voice.speaker or voice.language_code:
            return context
        from app.voice_catalog.custom_voices import find_custom_voice

        custom = await find_custom_voice(context.organisation_id, voice.speaker)
        if custom is None:
            return context
        return replace(context, voice=replace(voice, language_code=custom.language_code))

    @staticmethod
    async def _customer_by_phone(organisation_id: str, number: str | None) -> Customer | None:
        candidates = number_candidates(number)
        if not candidates:
            return None
        return await Customer.filter(organisation_id=organisation_id, phone__in=candidates).first()

    @staticmethod
    def _context(
        flow: Flow,
        call_type: CallType,
        customer: Customer | None,
        from_number: str | None,
        to_number: str | None,
        provider_call_id: str | None,
        call_id: str | None = None,
    ) -> CallContext:
        config = flow.config if isinstance(flow.config, dict) else {}
        agent = flow.voice_agent
        voice = agent.voice_config if agent is not None and isinstance(agent.voice_config, dict) else {}
        guardrails = config.get("guardrails") or []
        return CallContext(
            organisation_id=flow.organisation_id,
            call_type=call_type,
            flow_id=flow.id,
            flow_name=flow.name,
            voice_agent_id=agent.id if agent is not None else None,
            agent_name=agent.name if agent is not None else None,
            persona_prompt=config.get("persona_prompt"),
            recording_disclosure=config.get("recording_disclosure"),
            guardrails=tuple(str(g) for g in guardrails if isinstance(g, str)),
            script=ScriptView.from_model(flow.script),
            customer=CustomerView(
                id=customer.id,
                name=customer.name,
                phone=customer.phone,
                preferred_language=customer.preferred_language,
                metadata=dict(customer.metadata or {}),
            )
            if customer
            else CustomerView(),
            voice=VoiceConfig(
                provider=voice.get("provider"),
                model=voice.get("model"),
                speaker=voice.get("speaker"),
                language_code=voice.get("language_code"),
            ),
            from_number=from_number,
            to_number=to_number,
            provider_call_id=provider_call_id,
            call_id=call_id,
            flow_config=config,
        )
