"""Callbacks a caller asked for (`schedule_callback`): a dial job of the flow's campaign at the moment the
caller meant, read in their time zone (customer metadata `timezone`, else the flow's), moved into the flow's
calling window. One pending callback per customer and campaign: asking again moves it. The campaign keeps
running until its due callbacks are placed (the dialer completes a campaign only when no job is queued)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.transactions import in_transaction

from app.db.models import Call, Campaign, Customer, DialJob, DoNotCall, Flow
from app.dialer import window
from app.dialer.callback_time import parse_when
from app.errors import Conflict, Invalid, NotFound
from app.ids import new_id

CALLBACK = "callback"


@dataclass(frozen=True)
class Callback:
    uuid: str
    flow_uuid: str
    customer_uuid: str
    call_uuid: str | None
    due_at: datetime
    note: str | None  # the model's note, else what the caller said
    status: str  # queued, dialling, done, failed, cancelled


def _zone(name: Any) -> ZoneInfo | None:
    try:
        return ZoneInfo(str(name)) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


class CallbackService:
    async def schedule(self, call_id: str, when: str, note: str | None, now: datetime | None = None) -> Callback:
        """Books (or moves) the customer's callback; Invalid/Conflict say why it cannot be."""
        now = now or datetime.now(UTC)
        rows = await Call.filter(id=call_id).values("flow_id", "customer_id")
        if not rows:
            raise NotFound("Call not found")
        if not rows[0]["flow_id"] or not rows[0]["customer_id"]:
            raise Invalid("the call has no flow and customer to call back")
        flow = await Flow.get(id=rows[0]["flow_id"])
        customer = await Customer.get(id=rows[0]["customer_id"])
        if flow.kind != "outbound":
            raise Conflict("only an outbound flow can place callbacks")
        if await DoNotCall.filter(customer_id=customer.id).exists():
            raise Conflict("the customer asked not to be called")
        metadata = customer.metadata if isinstance(customer.metadata, dict) else {}
        zone = _zone(metadata.get("timezone")) or _zone((flow.time_window or {}).get("timezone")) or ZoneInfo("UTC")
        text = (when or "").strip()[:200] or "later"
        meant = parse_when(text, now.astimezone(zone)).astimezone(UTC)
        due = window.next_dial_time(meant, flow.start_date, flow.end_date, flow.time_window)
        if due is None:
            raise Conflict("the flow's calling dates are over by then")
        clean_note = (note or "").strip()[:500] or text
        async with in_transaction() as connection:
            campaign = await Campaign.filter(flow_id=flow.id).using_db(connection).first()
            if campaign is None:
                raise Conflict("the flow has no campaign to place the callback")
            job = (
                await DialJob.filter(campaign_id=campaign.id, customer_id=customer.id, kind=CALLBACK, status="queued")
                .using_db(connection)
                .first()
            )
            if job is not None:
                job.next_attempt_at, job.note, job.requested_by = due, clean_note, call_id
                await job.save(
                    using_db=connection, update_fields=["next_attempt_at", "note", "requested_by", "updated_at"]
                )
            else:
                job = await DialJob.create(
                    id=new_id("job"),
                    campaign_id=campaign.id,
                    organisation_id=customer.organisation_id,
                    customer_id=customer.id,
                    phone=customer.phone,
                    status="queued",
                    next_attempt_at=due,
                    kind=CALLBACK,
                    note=clean_note,
                    requested_by=call_id,
                    using_db=connection,
                )
            if campaign.status == "completed":  # its list was done: the callback reopens it
                await (
                    Campaign.filter(id=campaign.id, status="completed")
                    .using_db(connection)
                    .update(status="running", completed_at=None)
                )
        return _view(job, flow.id)

    async def of_call(self, call_id: str) -> list[Callback]:
        """The callbacks a call asked for."""
        jobs = await DialJob.filter(requested_by=call_id, kind=CALLBACK).select_related("campaign").order_by("id")
        return [_view(job, job.campaign.flow_id) for job in jobs]

    async def of_flow(self, organisation_id: str, flow_id: str) -> list[Callback]:
        """A campaign's callbacks, soonest first (the campaign board lists them)."""
        if not await Flow.filter(id=flow_id, organisation_id=organisation_id).exists():
            raise NotFound("Flow not found")
        jobs = await DialJob.filter(organisation_id=organisation_id, campaign__flow_id=flow_id, kind=CALLBACK).order_by(
            "next_attempt_at", "id"
        )
        return [_view(job, flow_id) for job in jobs]


def _view(job: DialJob, flow_id: str) -> Callback:
    return Callback(
        uuid=job.id,
        flow_uuid=flow_id,
        customer_uuid=str(job.customer_id),
        call_uuid=job.requested_by,
        due_at=job.next_attempt_at,
        note=job.note,
        status=job.status,
    )
