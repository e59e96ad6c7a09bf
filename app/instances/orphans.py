"""Ending the calls of a lapsed lease (orphans), from any live instance.

Each run lists the owners of open calls, asks the lease store which are still alive, and takes each orphan
over with a conditional UPDATE of `calls.owner` (dead owner -> this instance), so with several instances one
orphan is handled once; if this instance dies in turn, its own lapsed lease hands the call on again. A taken
call is ended through the carrier's word where it can be learned (the status callback's mapping, as
reconciliation does), else `failed` with reason `server_restart`, through the reporter's normal end path
(live views, events, the customer's count); the dialer then settles its job by the usual rules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from app.calls.contract import CallEnd, CallReporter
from app.calls.lifecycle import CallOutcome, CallStatus, EndReason
from app.db.models import Call
from app.errors import DomainError
from app.instances.leases import LeaseStore
from app.telephony.base import CallDetails, DetailsUnavailable
from app.telephony.carriers import CarrierDirectory
from app.telephony.simulator import CALL_SID_PREFIX
from app.telephony.status import PROGRESS, TERMINAL, ExotelStatusService, StatusUpdate
from app.utc import utc_now

log = logging.getLogger("app.instances.orphans")
SERVER_RESTART = EndReason.SERVER_RESTART
LOOKUP_SECONDS = 5.0  # one carrier look-up; the orphan is ended as failed when the carrier is slower
PARALLEL = 8
BATCH = 200  # orphans taken per dead owner per run


@dataclass
class Swept:
    """What one run did: dead owners found, orphans taken over, ended, and left to a live carrier leg."""

    dead: int = 0
    taken: int = 0
    ended: int = 0
    left: int = 0


class OrphanSweeper:
    def __init__(
        self,
        instance_id: str,
        store: LeaseStore,
        reporter: CallReporter,
        carriers: CarrierDirectory,
        status: ExotelStatusService,
        *,
        clock: Callable[[], datetime] = utc_now,
        on_ended: Callable[[], None] | None = None,
        scope: Q | None = None,
    ) -> None:
        """`on_ended` wakes the dialer so the orphans' jobs settle (and their slots free) on its next tick;
        `scope` limits the sweep to some calls (tests share a database)."""
        self.instance_id = instance_id
        self._store = store
        self._reporter = reporter
        self._carriers = carriers
        self._status = status
        self.clock = clock
        self._on_ended = on_ended
        self.lookup_seconds = LOOKUP_SECONDS
        self._scope = scope or Q()

    async def dead_owners(self) -> set[str]:
        running = Call.filter(self._scope, ended_at__isnull=True, owner__not_isnull=True).distinct()
        owner_ids: list[str] = await running.values_list("owner", flat=True)  # type: ignore[assignment]  # flat rows typed as tuples
        owners = set(owner_ids)
        owners.discard(self.instance_id)
        return owners - await self._store.alive(owners) if owners else set()

    async def run(self) -> Swept:
        done = Swept()
        dead = await self.dead_owners()
        done.dead = len(dead)
        gate = asyncio.Semaphore(PARALLEL)

        async def one(row: dict[str, Any]) -> None:
            async with gate:
                taken = await Call.filter(id=row["id"], owner=row["owner"], ended_at__isnull=True).update(
                    owner=self.instance_id
                )
                if not taken:
                    return  # another instance took it, or it ended meanwhile
                done.taken += 1
                try:
                    ended = await self._settle(row)
                except Exception:  # handed back to the dead owner: the next run tries again
                    log.exception("ending orphaned call %s failed", row["id"])
                    await Call.filter(id=row["id"], owner=self.instance_id, ended_at__isnull=True).update(
                        owner=row["owner"]
                    )
                    done.taken -= 1
                    return
                if ended:
                    done.ended += 1
                else:
                    done.left += 1

        for owner in dead:
            rows = (
                await Call.filter(self._scope, owner=owner, ended_at__isnull=True)
                .order_by("created_at")
                .limit(BATCH)
                .values("id", "owner", "organisation_id", "provider_call_id", "started_at")
            )
            await asyncio.gather(*(one(row) for row in rows))
        if done.ended and self._on_ended is not None:
            self._on_ended()
        if done.taken:
            log.warning("ended %d of %d calls held by lapsed instances %s", done.ended, done.taken, sorted(dead))
        return done

    async def _settle(self, row: dict[str, Any]) -> bool:
        """True when the call ended; False when the carrier says it has not been answered yet (its socket may
        still reach a live worker, and its callback or reconciliation ends it)."""
        sid = row["provider_call_id"]
        if sid and not sid.startswith(CALL_SID_PREFIX):  # a simulated leg died with the process that ran it
            details = await self._carrier_details(row["organisation_id"], sid)
            if details is not None and details.status in TERMINAL:
                update = StatusUpdate(
                    account_sid=details.account_sid,
                    call_sid=sid,
                    custom_field=row["id"],
                    status=details.status,
                    event_type=None,
                    recording_url=details.recording_url,
                    duration=details.duration,
                )
                try:
                    if await self._status.apply(update, reconciled=True) == "ended":
                        return True
                except DomainError as error:
                    log.warning("orphaned call %s: carrier answered %r: %s", row["id"], details.status, error.detail)
            elif details is not None and PROGRESS.get(details.status) in (CallStatus.QUEUED, CallStatus.RINGING):
                return False
        return await self._end(row)

    async def _carrier_details(self, organisation_id: str, sid: str) -> CallDetails | None:
        lookup = await self._carriers.lookup_for(organisation_id, sid)
        if lookup is None:
            return None
        try:
            return await asyncio.wait_for(lookup.call_details(sid), self.lookup_seconds)
        except (TimeoutError, DetailsUnavailable) as error:
            log.info("orphaned call %s: the carrier cannot say (%s)", sid, error)
            return None

    async def _end(self, row: dict[str, Any]) -> bool:
        if not await Call.exists(id=row["id"], owner=self.instance_id, ended_at__isnull=True):
            return True  # its session came back on another worker, or a callback ended it
        now = self.clock()
        started = row["started_at"]
        seconds = max(0, int((now - started).total_seconds())) if started else 0
        await self._reporter.ended(
            row["id"],
            CallEnd(outcome=CallOutcome.FAILED, ended_at=now, duration_seconds=seconds, end_reason=SERVER_RESTART),
        )
        return True
