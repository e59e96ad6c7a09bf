"""`CallReporter` for the platform: the call row, the live registry, call events and webhook outbox rows,
driven by the voice pipeline through `app.calls.contract`.

Each state change and the webhook rows it fires are written in one transaction; bus events follow the
commit. Commands for a call are subscribed when it starts, so none sent after `started` returns is lost.

`call.ended` fires exactly once for every call that ends, from the one end path (`ended`, first end wins),
whoever ends it (the session, a status callback, reconciliation, the dialer) and whatever the outcome, after
the outcome's own event. When a session of this process holds the call, its post-call analysis follows:
the row is written `held` and `analysed` releases it with the sentiment; if the analysis never comes, it goes
out as it is after `analysis_wait`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.billing.costing import cost_of
from app.billing.leads import marks_lead
from app.billing.price_tables import PriceTableService
from app.billing.usage import CallUsage
from app.calls import channels
from app.calls.contract import CallAnalysis, CallEnd, CallStart, Speaker
from app.calls.lifecycle import CallCommand, CallOutcome, CallStatus, EndReason, command_from
from app.calls.live import CallEventLog, LiveRegistry
from app.calls.merge import deep_merge
from app.calls.payloads import call_data, live_entry
from app.calls.tool_calls import invocations_of
from app.customers.service import CustomerService
from app.db.models import Call, Customer, DoNotCall
from app.errors import NotFound
from app.events import EventBus, Subscription
from app.ids import new_id
from app.latency.turns import TurnLatency
from app.webhooks.outbox import WebhookOutbox, iso

OUTCOME_EVENTS = {CallOutcome.NO_ANSWER: "call.no_answer", CallOutcome.VOICEMAIL: "call.voicemail"}
ENDED = "call.ended"
ANALYSIS_WAIT = timedelta(minutes=2)  # an LLM analysis takes up to 2 x 30 s (timeout, one retry)


class PlatformCallReporter:
    def __init__(
        self,
        bus: EventBus,
        live: LiveRegistry,
        events: CallEventLog,
        customers: CustomerService,
        outbox: WebhookOutbox,
        public_url: str,
        *,
        analysis_wait: timedelta = ANALYSIS_WAIT,
    ) -> None:
        self._bus = bus
        self._live = live
        self._events = events
        self._customers = customers
        self._outbox = outbox
        self._public_url = public_url
        self.analysis_wait = analysis_wait
        self._commands: dict[str, tuple[contextlib.AsyncExitStack, Subscription]] = {}
        self.owner: str | None = None  # this process's instance lease, stamped on the calls it runs
        self._sessions: set[str] = set()  # calls a session of this process started: their analysis follows
        self._prices = PriceTableService()

    async def _locked(self, connection: Any, call_id: str) -> Call:
        call = await Call.filter(id=call_id).select_for_update().using_db(connection).first()
        if call is None:
            raise NotFound("Call not found")
        return call

    async def _customer(self, call: Call, connection: Any = None) -> Customer | None:
        if call.customer_id is None:
            return None
        query = Customer.filter(id=call.customer_id)
        return await (query.using_db(connection) if connection is not None else query).first()

    async def started(self, start: CallStart) -> str:
        fields = {
            "call_type": start.call_type.value,
            "flow_id": start.flow_id,
            "voice_agent_id": start.voice_agent_id,
            "customer_id": start.customer_id,
            "from_number": start.from_number,
            "to_number": start.to_number,
            "started_at": start.started_at,
            "provider_call_id": start.provider_call_id,
            "recording_opt_out": start.recording_opt_out,
            "status": CallStatus.IN_PROGRESS.value,
            "owner": self.owner,
        }
        async with in_transaction() as connection:
            call = None
            if start.call_id is not None:
                call = (
                    await Call.filter(id=start.call_id, organisation_id=start.organisation_id)
                    .select_for_update()
                    .using_db(connection)
                    .first()
                )
            if call is None:
                call = await Call.create(
                    id=start.call_id or new_id("cal"),
                    organisation_id=start.organisation_id,
                    using_db=connection,
                    **fields,
                )
            else:
                keep = {key: value for key, value in fields.items() if value is not None or key == "status"}
                await Call.filter(id=call.id).using_db(connection).update(**keep)
                await call.refresh_from_db(using_db=connection)
            if start.voice_heard:
                customer = await self._customer(call, connection)
                await self._outbox.enqueue(
                    call.organisation_id,
                    "call.started",
                    call_data(call, customer, self._public_url, full=False),
                    connection=connection,
                )
        self._outbox.notify()
        self._sessions.add(call.id)
        await self._subscribe_commands(call.id)
        entry = live_entry(call)
        await self._live.add(call.organisation_id, call.id, entry)
        await self._events.append(call.id, {"type": "start", "call_uuid": call.id, "started_at": entry["started_at"]})
        await self._bus.publish(channels.live_calls(call.organisation_id), {"change": "started", "call": entry})
        return call.id

    async def voice_heard(self, call_id: str) -> None:
        async with in_transaction() as connection:
            call = await self._locked(connection, call_id)
            if call.ended_at is not None:  # too late: the call is over, `call.ended` tells the story
                return
            customer = await self._customer(call, connection)
            await self._outbox.enqueue(
                call.organisation_id,
                "call.started",
                call_data(call, customer, self._public_url, full=False),
                connection=connection,
            )
        self._outbox.notify()

    async def transcript(
        self, call_id: str, speaker: Speaker, text: str, timestamp: float, latency: TurnLatency | None = None
    ) -> None:
        turn: dict[str, Any] = {
            "speaker": Speaker(speaker).value,
            "text": text,
            "timestamp": round(float(timestamp), 3),
        }
        if latency is not None:
            turn["latency"] = latency.as_dict()
        async with in_transaction() as connection:
            call = await self._locked(connection, call_id)
            await (
                Call.filter(id=call_id)
                .using_db(connection)
                .update(transcript=[*(call.transcript or []), turn], updated_at=datetime.now(UTC))
            )
        await self._events.append(call_id, {"type": "transcript", "call_uuid": call_id, **turn})

    async def status(self, call_id: str, status: str, details: dict[str, Any] | None = None) -> None:
        details = dict(details or {})
        call = await Call.get_or_none(id=call_id)
        if call is None:
            raise NotFound("Call not found")
        if status == "transfer_initiated":
            async with in_transaction() as connection:
                customer = await self._customer(call, connection)
                data = {
                    **call_data(call, customer, self._public_url, full=False),
                    "target": details.get("target"),
                    "agent_brief": details.get("agent_brief"),
                }
                await self._outbox.enqueue(call.organisation_id, "call.transferred", data, connection=connection)
            self._outbox.notify()
        entry = await self._live.update(call.organisation_id, call_id, status=status, target=details.get("target"))
        await self._events.append(call_id, {"type": "status", "call_uuid": call_id, "status": status, **details})
        if entry is not None:  # dashboards follow a live call's status (a transfer under way, for one)
            await self._bus.publish(channels.live_calls(call.organisation_id), {"change": "updated", "call": entry})

    async def ended(self, call_id: str, end: CallEnd) -> None:
        """The first end wins. Two reporters can end one call at nearly the same moment (the session tearing
        down, a carrier callback, reconciliation, the dialer giving up); a later end only fills in facts
        the first did not know (recording, language), so the outcome and its events never change twice;
        the first end fires the outcome's event and `call.ended`, later ones fire nothing."""
        analysis_follows = call_id in self._sessions
        self._sessions.discard(call_id)
        tools = await _tool_calls(call_id)
        async with in_transaction() as connection:
            call = await self._locked(connection, call_id)
            if call.ended_at is not None:
                late = {
                    key: value
                    for key, value in (
                        ("language_detected", end.language_detected),
                        ("recording_path", end.recording_path),
                        ("recording_url", end.recording_url),
                    )
                    if value and not getattr(call, key)
                }
                if late:
                    await Call.filter(id=call_id).using_db(connection).update(**late)
                return
            changes = {
                "status": (CallStatus.FAILED if end.outcome == CallOutcome.FAILED else CallStatus.COMPLETED).value,
                "outcome": str(end.outcome),
                "ended_at": end.ended_at,
                "duration": int(end.duration_seconds),
                "end_reason": str(end.end_reason) if end.end_reason is not None else None,
                "language_detected": end.language_detected or call.language_detected,
                "recording_path": end.recording_path or call.recording_path,
                "recording_url": end.recording_url or call.recording_url,
                **await self._costs(call, end),
            }
            await Call.filter(id=call_id).using_db(connection).update(**changes)
            for key, value in changes.items():
                setattr(call, key, value)
            if end.end_reason == EndReason.DNC_REQUEST and call.customer_id:
                await DoNotCall.bulk_create(
                    [DoNotCall(organisation_id=call.organisation_id, customer_id=call.customer_id, call_id=call.id)],
                    ignore_conflicts=True,
                    using_db=connection,
                )
            customer = await self._customer(call, connection)
            data = {**call_data(call, customer, self._public_url, full=True), **tools}
            if end.outcome in OUTCOME_EVENTS:
                await self._outbox.enqueue(
                    call.organisation_id, OUTCOME_EVENTS[end.outcome], data, connection=connection
                )
            hold = datetime.now(UTC) + self.analysis_wait if analysis_follows else None
            await self._outbox.enqueue(call.organisation_id, ENDED, data, connection=connection, hold_until=hold)
        self._outbox.notify()
        if call.customer_id:
            await self._customers.record_call_for_customer(
                call.customer_id, call.call_type, call.started_at or end.ended_at
            )
        await self._live.remove(call.organisation_id, call_id)
        await self._events.append(
            call_id,
            {
                "type": "end",
                "call_uuid": call_id,
                "outcome": end.outcome,
                "duration_seconds": int(end.duration_seconds),
            },
        )
        await self._bus.publish(
            channels.live_calls(call.organisation_id),
            {
                "change": "ended",
                "call": {
                    "uuid": call_id,
                    "call_type": call.call_type,
                    "outcome": end.outcome,
                    "ended_at": iso(end.ended_at),
                },
            },
        )
        await self._unsubscribe_commands(call_id)

    async def analysed(self, call_id: str, analysis: CallAnalysis) -> None:
        """Stores the analysis and releases the call's held `call.ended` with it; fires nothing new (a
        call ended elsewhere, or whose hold ran out, has had its `call.ended`)."""
        tools = await _tool_calls(call_id)
        async with in_transaction() as connection:
            call = await self._locked(connection, call_id)
            call.summary = analysis.summary if analysis.summary is not None else call.summary
            call.sentiment = analysis.sentiment if analysis.sentiment is not None else call.sentiment
            call.key_details = deep_merge(call.key_details or {}, dict(analysis.key_details or {}))
            call.is_lead = marks_lead(call.key_details)
            await (
                Call.filter(id=call_id)
                .using_db(connection)
                .update(
                    summary=call.summary,
                    sentiment=call.sentiment,
                    key_details=call.key_details,
                    is_lead=call.is_lead,
                    updated_at=datetime.now(UTC),
                )
            )
            customer = await self._customer(call, connection)
            released = await self._outbox.release_held_for_call(
                call.organisation_id,
                call_id,
                ENDED,
                {**call_data(call, customer, self._public_url, full=True), **tools},
                connection=connection,
            )
        if released:
            self._outbox.notify()

    async def _costs(self, call: Call, end: CallEnd) -> dict[str, Any]:
        """Usage, its cost by the organisation's price table now, and the latency summary: columns of the end's
        one update. A call the session did not run (no answer, a carrier callback) has its duration only."""
        usage = end.usage or CallUsage(telephony_seconds=int(end.duration_seconds))
        table, _ = await self._prices.get(call.organisation_id)
        cost = cost_of(usage, table)
        fields: dict[str, Any] = {
            "usage": usage.as_dict(),
            "cost": cost.as_dict(),
            "cost_total": cost.total,
            "cost_currency": cost.currency,
        }
        if end.latency is not None:
            fields.update(
                latency=end.latency.as_dict(),
                latency_p50_ms=end.latency.p50_voice_to_voice_ms,
                latency_turns=end.latency.turns,
                latency_total_ms=end.latency.total_voice_to_voice_ms,
            )
        return fields

    async def _subscribe_commands(self, call_id: str) -> None:
        if call_id in self._commands:
            return
        stack = contextlib.AsyncExitStack()
        subscription = await stack.enter_async_context(self._bus.subscribe(channels.call_commands(call_id)))
        self._commands[call_id] = (stack, subscription)

    async def _unsubscribe_commands(self, call_id: str) -> None:
        held = self._commands.pop(call_id, None)
        if held is not None:
            await held[0].aclose()

    async def commands(self, call_id: str) -> AsyncIterator[CallCommand]:
        held = self._commands.get(call_id)
        if held is None:
            async with self._bus.subscribe(channels.call_commands(call_id)) as subscription:
                async for command in _commands_of(subscription):
                    yield command
            return
        async for command in _commands_of(held[1]):
            yield command

    async def aclose(self) -> None:
        self._sessions.clear()
        for call_id in list(self._commands):
            with contextlib.suppress(Exception):
                await self._unsubscribe_commands(call_id)


async def _tool_calls(call_id: str) -> dict[str, Any]:
    """The `call.ended` extension (issue 16): `tool_calls`, present when the agent called tools."""
    invocations = await invocations_of(call_id)
    return {"tool_calls": invocations} if invocations else {}


async def _commands_of(subscription: Subscription) -> AsyncIterator[CallCommand]:
    async for event in subscription:
        command = command_from(event)
        if command is not None:
            yield command
        await asyncio.sleep(0)
