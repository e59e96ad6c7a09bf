"""Exotel status callbacks: unauthenticated, so the account SID must belong to a connected integration of
the call's organisation. Callbacks can be late, repeated or out of order: a terminal state is never
overwritten, and only missing facts (recording URL, provider call id) are filled in afterwards.

Reconciliation (`app.telephony.reconcile`) feeds what the carrier's call details say through the same
mapping, so whichever of the two arrives second changes nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.expressions import Q

from app.calls.contract import CallEnd, CallReporter
from app.calls.lifecycle import CallEnding, CallOutcome, CallStatus, EndReason
from app.db.models import Call
from app.errors import Forbidden, Invalid, NotFound
from app.integrations.service import IntegrationService

# Exotel's terminal statuses (the carrier's words) -> how the call ends
TERMINAL = {
    "completed": CallEnding(CallOutcome.CONNECTED, EndReason.COMPLETED),
    "busy": CallEnding(CallOutcome.NO_ANSWER, EndReason.BUSY),
    "no-answer": CallEnding(CallOutcome.NO_ANSWER, EndReason.NO_ANSWER),
    "failed": CallEnding(CallOutcome.FAILED, EndReason.CARRIER_FAILED),
    "canceled": CallEnding(CallOutcome.FAILED, EndReason.CANCELED),
}
# Exotel's progress statuses -> the call row's status
PROGRESS = {
    "answered": CallStatus.IN_PROGRESS,
    "in-progress": CallStatus.IN_PROGRESS,
    "ringing": CallStatus.RINGING,
    "queued": CallStatus.QUEUED,
}
RANK: dict[str, int] = {CallStatus.QUEUED: 0, CallStatus.RINGING: 1, CallStatus.IN_PROGRESS: 2}


@dataclass(frozen=True)
class StatusUpdate:
    account_sid: str | None
    call_sid: str | None
    custom_field: str | None
    status: str
    event_type: str | None
    recording_url: str | None
    duration: int | None
    end_reason: str | None = None  # overrides the mapped reason (reconciliation's "status unknown")

    @classmethod
    def from_form(cls, form: Mapping[str, str], query: Mapping[str, str]) -> StatusUpdate:
        status = str(form.get("Status") or form.get("CallStatus") or "").strip().lower()
        duration = form.get("ConversationDuration") or form.get("Duration")
        try:
            seconds = int(float(duration)) if duration not in (None, "") else None
        except ValueError:
            seconds = None
        return cls(
            account_sid=form.get("AccountSid") or query.get("AccountSid"),
            call_sid=form.get("CallSid"),
            custom_field=form.get("CustomField"),
            status=status,
            event_type=(form.get("EventType") or "").strip().lower() or None,
            recording_url=(form.get("RecordingUrl") or "").strip() or None,
            duration=seconds,
        )


class ExotelStatusService:
    def __init__(
        self, integrations: IntegrationService, reporter: CallReporter, simulator_sid: str | None = None
    ) -> None:
        self._integrations = integrations
        self._reporter = reporter
        self._simulator_sid = simulator_sid

    async def apply(self, update: StatusUpdate, *, reconciled: bool = False) -> str:
        """Answers what happened: `updated`, `ended` or `unchanged` (a duplicate or late callback).

        A call whose voicebot socket opened is ended by its session, so a terminal callback only fills in
        facts; `reconciled` (the session evidently went away long ago) lets the carrier's word end it too."""
        organisations = await self._organisations(update.account_sid or "")
        status = CallStatus.IN_PROGRESS.value if update.event_type == "answered" else update.status
        if status not in TERMINAL and status not in PROGRESS:
            raise Invalid("Status must be one of answered, completed, busy, no-answer, failed")
        call = await self._call(update, organisations)
        if call is None:
            raise NotFound("Call not found")
        if update.call_sid and call.provider_call_id not in (None, update.call_sid):
            raise Forbidden("CallSid does not match the call")
        fill: dict[str, str] = {}
        if update.call_sid and not call.provider_call_id:
            fill["provider_call_id"] = update.call_sid
        if update.recording_url and not call.recording_url:
            fill["recording_url"] = update.recording_url[:1024]
        terminal = call.ended_at is not None or call.status in (CallStatus.COMPLETED, CallStatus.FAILED)
        if status in TERMINAL and not terminal and (call.started_at is None or reconciled):
            if fill:
                await Call.filter(id=call.id).update(**fill)
            ending = TERMINAL[status]
            await self._reporter.ended(
                call.id,
                CallEnd(
                    outcome=ending.outcome,
                    ended_at=datetime.now(UTC),
                    duration_seconds=update.duration or 0,
                    end_reason=update.end_reason or ending.reason,
                    recording_url=update.recording_url,
                ),
            )
            return "ended"
        if status in PROGRESS and not terminal and _rank(PROGRESS[status]) > _rank(call.status):
            fill["status"] = PROGRESS[status].value
        if not fill:
            return "unchanged"
        await Call.filter(id=call.id).update(**fill, updated_at=datetime.now(UTC))
        return "updated"

    async def _organisations(self, account_sid: str) -> list[str] | None:
        """The organisations this account may report for; None = any (the server's own simulator)."""
        if self._simulator_sid and hmac.compare_digest(account_sid.encode(), self._simulator_sid.encode()):
            return None
        accounts = await self._integrations.exotel_by_account_sid(account_sid)
        if not accounts:
            raise Forbidden("AccountSid does not match a connected Exotel account")
        return [account.organisation_id for account in accounts]

    @staticmethod
    async def _call(update: StatusUpdate, organisations: list[str] | None) -> Call | None:
        lookup = Q()
        if update.custom_field:
            lookup = Q(id=update.custom_field)
        elif update.call_sid:
            lookup = Q(provider_call_id=update.call_sid)
        else:
            raise Invalid("CallSid or CustomField is required")
        query = Call.filter(lookup)
        if organisations is not None:
            query = query.filter(organisation_id__in=organisations)
        return await query.first()


def _rank(status: str | None) -> int:
    return RANK.get(status or CallStatus.QUEUED, 3)
