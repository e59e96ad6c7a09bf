"""Reconciling outbound calls whose status callback never came (callbacks can be lost).

Every `VOICEAI_DIALER_RECONCILE_SECONDS` the dialer's reconciler looks at outbound calls that have not ended and
whose last status is older than `VOICEAI_DIALER_RECONCILE_MINUTES`, and asks the carrier how each went (Exotel's
`Calls/<CallSid>.json`, or the simulator's own record). The answer goes through the status callback's mapping
(`ExotelStatusService.apply`), so recording URL, duration, `call.no_answer` are the same, and a real callback
arriving afterwards changes nothing; the dial job then settles on the next tick (retry policy, then
`campaign.completed`). A call the carrier still reports in progress is left alone. When the carrier cannot say
(auth, unknown call, rate limit, timeout), the call waits, and past `VOICEAI_DIALER_STALE_MINUTES` from its
creation it is ended `failed` with reason "status unknown". A simulated call this process did not place (a
restart) is ended `failed` at once: the simulator's record is the only one there is.

Each look-up is claimed with a conditional UPDATE of `checked_at`, so with several instances one call is
asked about once per interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from app.calls.contract import CallEnd, CallReporter
from app.calls.lifecycle import CallOutcome
from app.config import Settings
from app.db.models import Call
from app.errors import DomainError
from app.telephony.base import CallDetails, DetailsUnavailable
from app.telephony.carriers import CarrierDirectory
from app.telephony.simulator import CALL_SID_PREFIX
from app.telephony.status import ExotelStatusService, StatusUpdate
from app.utc import utc_now

log = logging.getLogger("app.telephony.reconcile")
UNKNOWN = "status unknown"
LOST_SIMULATED = "simulator_call_lost"
LOOKUP_SECONDS = 10.0  # one carrier look-up; a slow carrier leaves the call for the next run
PARALLEL = 8  # look-ups in flight at once
BATCH = 200  # calls considered per run


@dataclass
class Reconciled:
    """What one run did: calls ended (by the carrier's answer or the ceiling), left open, or not answered for."""

    ended: int = 0
    left: int = 0
    unknown: int = 0


class CallReconciler:
    def __init__(
        self,
        carriers: CarrierDirectory,
        status: ExotelStatusService,
        reporter: CallReporter,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        organisations: Iterable[str] | None = None,
    ) -> None:
        """`organisations` limits the reconciler to some tenants (tests and benchmarks share a database)."""
        self._carriers = carriers
        self._status = status
        self._reporter = reporter
        self._settings = settings
        self.clock = clock
        self._scope = Q(organisation_id__in=list(organisations)) if organisations is not None else Q()
        self.lookup_seconds = LOOKUP_SECONDS

    async def run(self) -> Reconciled:
        now = self.clock()
        quiet = now - timedelta(minutes=self._settings.dialer_reconcile_minutes)
        again = now - timedelta(seconds=self._settings.dialer_reconcile_seconds)
        rows = (
            await Call.filter(self._scope, call_type="outbound", ended_at__isnull=True, updated_at__lt=quiet)
            .filter(Q(checked_at__isnull=True) | Q(checked_at__lt=again))
            .order_by("updated_at")
            .limit(BATCH)
            .values("id", "organisation_id", "provider_call_id", "created_at")
        )
        done = Reconciled()
        gate = asyncio.Semaphore(PARALLEL)

        async def one(row: dict[str, Any]) -> None:
            async with gate:
                # the claim: only one instance asks about this call in this interval
                claimed = await Call.filter(
                    Q(checked_at__isnull=True) | Q(checked_at__lt=again), id=row["id"], ended_at__isnull=True
                ).update(checked_at=now)
                if not claimed:
                    return
                try:
                    outcome = await self._reconcile(row, now)
                except Exception:
                    log.exception("reconciling call %s failed", row["id"])
                    outcome = "unknown"
                setattr(done, outcome, getattr(done, outcome) + 1)

        await asyncio.gather(*(one(row) for row in rows))
        return done

    async def _reconcile(self, row: dict[str, Any], now: datetime) -> str:
        call_id, sid = row["id"], row["provider_call_id"]
        past_ceiling = row["created_at"] <= now - timedelta(minutes=self._settings.dialer_stale_minutes)
        if not sid:  # the carrier never acknowledged the dial (the process stopped in between)
            return await self._end(call_id, "dial interrupted", now) if past_ceiling else "unknown"
        try:
            details = await self._details(row["organisation_id"], sid)
        except DetailsUnavailable as error:
            log.warning("reconciling call %s: the carrier cannot say (%s)", call_id, error.reason)
            if error.reason == LOST_SIMULATED:
                return await self._end(call_id, LOST_SIMULATED, now)
            return await self._end(call_id, UNKNOWN, now) if past_ceiling else "unknown"
        update = StatusUpdate(
            account_sid=details.account_sid,
            call_sid=sid,
            custom_field=call_id,
            status=details.status,
            event_type=None,
            recording_url=details.recording_url,
            duration=details.duration,
        )
        try:
            result = await self._status.apply(update, reconciled=True)
        except DomainError as error:
            log.warning("reconciling call %s: %s answered %r: %s", call_id, sid, details.status, error.detail)
            return await self._end(call_id, UNKNOWN, now) if past_ceiling else "unknown"
        return "ended" if result == "ended" else "left"

    async def _details(self, organisation_id: str, sid: str) -> CallDetails:
        lookup = await self._carriers.lookup_for(organisation_id, sid)
        if lookup is None:
            raise DetailsUnavailable(LOST_SIMULATED if sid.startswith(CALL_SID_PREFIX) else "no_carrier_lookup")
        try:
            return await asyncio.wait_for(lookup.call_details(sid), self.lookup_seconds)
        except TimeoutError:
            raise DetailsUnavailable("timeout") from None

    async def _end(self, call_id: str, reason: str, now: datetime) -> str:
        if not await Call.exists(id=call_id, ended_at__isnull=True):
            return "left"  # a callback or the session ended it meanwhile
        await self._reporter.ended(
            call_id, CallEnd(outcome=CallOutcome.FAILED, ended_at=now, duration_seconds=0, end_reason=reason)
        )
        return "ended"
