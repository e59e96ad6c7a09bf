"""The dialer loop, owned by the app lifespan. Each tick:

1. settles dialled jobs whose call has ended: no-answer and busy are retried per the policy, the rest are done;
2. for every running campaign inside its dates and daily window, claims as many queued jobs as the pace and
   the per-flow and per-organisation concurrency allow, and dials them;
3. completes campaigns whose jobs are all terminal (`campaign.completed`).

Jobs are claimed by a conditional UPDATE to `dialling` with a claim token (`FOR UPDATE SKIP LOCKED` picks the
rows on PostgreSQL), so with several instances each job is dialled once, and a restart resumes from the rows.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.calls.reporting import CallEnd
from app.config import Settings
from app.db.models import Call, Campaign, DialJob
from app.db.sql import dialect
from app.dialer import pacing, window
from app.dialer.campaigns import CampaignService
from app.dialer.carriers import CarrierDirectory
from app.ids import new_id
from app.telephony.base import DialRequest
from app.webhooks.outbox import WebhookOutbox

log = logging.getLogger("app.dialer")
RETRY_REASONS = ("busy", "no_answer")


@dataclass(frozen=True)
class Policy:
    calls_per_second: float
    flow_concurrency: int
    org_concurrency: int
    max_attempts: int
    retry_after: timedelta
    stale_after: timedelta

    @classmethod
    def of(cls, settings: Settings, config: dict[str, Any] | None = None) -> "Policy":
        """Flow config `dialer: {calls_per_second, max_concurrent, max_attempts, retry_minutes}` overrides."""
        own = (config or {}).get("dialer") if isinstance(config, dict) else None
        own = own if isinstance(own, dict) else {}

        def number(key: str, default: float) -> float:
            value = own.get(key, default)
            return float(value) if isinstance(value, (int, float)) and value > 0 else default

        return cls(calls_per_second=number("calls_per_second", settings.dialer_calls_per_second),
                   flow_concurrency=int(number("max_concurrent", settings.dialer_flow_concurrency)),
                   org_concurrency=settings.dialer_org_concurrency,
                   max_attempts=int(number("max_attempts", settings.dialer_max_attempts)),
                   retry_after=timedelta(minutes=number("retry_minutes", settings.dialer_retry_minutes)),
                   stale_after=timedelta(minutes=settings.dialer_stale_minutes))


class DialerScheduler:
    def __init__(self, campaigns: CampaignService, carriers: CarrierDirectory, reporter, outbox: WebhookOutbox,
                 settings: Settings, clock: Callable[[], datetime] | None = None,
                 organisations: Iterable[str] | None = None) -> None:
        """`organisations` limits this scheduler to some tenants (tests and benchmarks share a database)."""
        self._campaigns = campaigns
        self._carriers = carriers
        self._reporter = reporter
        self._outbox = outbox
        self._settings = settings
        self.clock = clock or campaigns.clock
        self._task: asyncio.Task | None = None
        self._dials: set[asyncio.Task] = set()
        self._scope = Q(organisation_id__in=list(organisations)) if organisations is not None else Q()

    # lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="dialer")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await asyncio.gather(*self._dials, return_exceptions=True)
        await self._carriers.aclose()

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dialer tick failed")
            try:
                await asyncio.wait_for(self._campaigns.wake.wait(), self._settings.dialer_poll_seconds)
            except asyncio.TimeoutError:
                pass
            self._campaigns.wake.clear()

    # one tick -----------------------------------------------------------------------------------------
    async def tick(self) -> int:
        """Settle, dial, complete; answers how many calls were placed. Dials run in the background."""
        now = self.clock()
        await self.settle(now)
        placed = 0
        for campaign in await Campaign.filter(self._scope, status="running").select_related("flow"):
            placed += await self._dial_campaign(campaign, now)
        await self.complete(now)
        return placed

    async def wait_for_dials(self) -> None:
        while self._dials:
            await asyncio.gather(*list(self._dials), return_exceptions=True)

    async def _dial_campaign(self, campaign: Campaign, now: datetime) -> int:
        flow = campaign.flow
        if flow.status != "active" or not window.may_dial(now, flow.start_date, flow.end_date, flow.time_window):
            return 0
        policy = Policy.of(self._settings, flow.config)
        flow_busy = await DialJob.filter(campaign_id=campaign.id, status="dialling").count()
        org_busy = await DialJob.filter(organisation_id=campaign.organisation_id, status="dialling").count()
        burst = max(1.0, policy.calls_per_second)
        wanted = min(policy.flow_concurrency - flow_busy, policy.org_concurrency - org_busy,
                     pacing.available(campaign.pace_at, now, policy.calls_per_second, burst))
        if wanted <= 0:
            return 0
        jobs = await self._claim(campaign.id, wanted, now)
        if not jobs:
            return 0
        await Campaign.filter(id=campaign.id).update(
            pace_at=pacing.spend(campaign.pace_at, now, policy.calls_per_second, burst, len(jobs)))
        carrier = await self._carriers.for_organisation(campaign.organisation_id)
        for job in jobs:
            task = asyncio.get_running_loop().create_task(self._dial(carrier, campaign, job, now))
            self._dials.add(task)
            task.add_done_callback(self._dials.discard)
        return len(jobs)

    async def _claim(self, campaign_id: str, limit: int, now: datetime) -> list[DialJob]:
        token = secrets.token_hex(8)
        async with in_transaction() as connection:
            query = DialJob.filter(campaign_id=campaign_id, status="queued", next_attempt_at__lte=now) \
                .order_by("next_attempt_at", "id").limit(limit).using_db(connection)
            if dialect() == "postgres":
                query = query.select_for_update(skip_locked=True)
            ids = await query.values_list("id", flat=True)
            if not ids:
                return []
            await DialJob.filter(id__in=list(ids), status="queued").using_db(connection).update(
                status="dialling", claim=token, updated_at=now)
        return await DialJob.filter(claim=token, status="dialling").order_by("next_attempt_at", "id")

    async def _dial(self, carrier, campaign: Campaign, job: DialJob, now: datetime) -> None:
        flow = campaign.flow
        call_id = new_id("cal")
        try:
            await Call.create(id=call_id, organisation_id=campaign.organisation_id, call_type="outbound",
                              flow_id=flow.id, customer_id=job.customer_id, voice_agent_id=flow.voice_agent_id,
                              to_number=job.phone, from_number=flow.phone_number, status="queued")
            await DialJob.filter(id=job.id).update(call_id=call_id, attempts=job.attempts + 1)
            result = await carrier.place_call(DialRequest(
                call_id=call_id, organisation_id=campaign.organisation_id, flow_id=flow.id,
                customer_id=job.customer_id, to_number=job.phone, caller_id=flow.phone_number,
                flow_url=(flow.config or {}).get("exotel_flow_url") or self._settings.exotel_flow_url))
        except Exception as error:  # the job must still settle: record the failure on the call
            log.exception("dialling job %s failed", job.id)
            result = None
            reason = f"dial_error: {type(error).__name__}"
        else:
            reason = result.reason
        if result is not None and result.outcome != "failed":
            await Call.filter(id=call_id, status="queued").update(provider_call_id=result.provider_call_id,
                                                                  status="ringing")
            return
        if await Call.exists(id=call_id):
            await self._reporter.ended(call_id, CallEnd(outcome="failed", ended_at=self.clock(), duration_seconds=0,
                                                        end_reason=(reason or "failed")[:32]))
            await Call.filter(id=call_id).update(summary=reason)
        else:
            await DialJob.filter(id=job.id).update(status="failed", reason=reason)

    async def settle(self, now: datetime) -> int:
        """Dialled jobs whose call ended become done, failed or queued again (retry)."""
        stale = now - Policy.of(self._settings).stale_after
        settled = await DialJob.filter(self._scope, status="dialling", call_id__isnull=True,
                                       updated_at__lt=stale).update(
            status="failed", reason="dial interrupted")
        jobs = await DialJob.filter(self._scope, status="dialling", call_id__not_isnull=True)
        if not jobs:
            return settled
        calls = {row["id"]: row for row in await Call.filter(
            id__in=[job.call_id for job in jobs], ended_at__not_isnull=True).values("id", "outcome", "end_reason")}
        campaigns = {campaign.id: campaign for campaign in await Campaign.filter(
            id__in={job.campaign_id for job in jobs}).select_related("flow")}
        for job in jobs:
            call = calls.get(job.call_id)
            if call is None:
                if job.updated_at and job.updated_at < stale:
                    settled += await DialJob.filter(id=job.id, status="dialling").update(status="failed",
                                                                                         reason="call lost")
                continue
            campaign = campaigns[job.campaign_id]
            settled += await self._settle_one(job, call, campaign, now)
        return settled

    async def _settle_one(self, job: DialJob, call: dict[str, Any], campaign: Campaign, now: datetime) -> int:
        policy = Policy.of(self._settings, campaign.flow.config)
        running = campaign.status == "running"
        outcome, reason = call["outcome"], call["end_reason"]
        changes: dict[str, Any] = {"outcome": outcome, "reason": reason}
        if outcome == "no-answer" and reason in RETRY_REASONS and job.attempts < policy.max_attempts and running:
            changes.update(status="queued", next_attempt_at=now + policy.retry_after, call_id=None, claim=None)
        else:
            changes["status"] = "failed" if outcome == "failed" else "done"
        return await DialJob.filter(id=job.id, status="dialling").update(**changes)

    async def complete(self, now: datetime) -> int:
        """Running campaigns with every job terminal complete; past their end date, queued jobs expire."""
        completed = 0
        for campaign in await Campaign.filter(self._scope, status="running").select_related("flow"):
            flow = campaign.flow
            if window.past_end(now, flow.end_date, flow.time_window):
                await DialJob.filter(campaign_id=campaign.id, status="queued").update(
                    status="cancelled", reason="campaign ended")
            if await DialJob.filter(campaign_id=campaign.id, status__in=("queued", "dialling")).exists():
                continue
            async with in_transaction() as connection:
                changed = await Campaign.filter(id=campaign.id, status="running").using_db(connection).update(
                    status="completed", completed_at=now)
                if not changed:
                    continue
                stats = await _stats(campaign.id, connection)
                await self._outbox.enqueue(campaign.organisation_id, "campaign.completed", {
                    "flow_uuid": flow.id, "campaign_uuid": campaign.id, **stats}, connection=connection)
            self._outbox.notify()
            completed += 1
        return completed


async def _stats(campaign_id: str, connection: Any) -> dict[str, int]:
    rows = await DialJob.filter(campaign_id=campaign_id).using_db(connection).values("status", "outcome")
    counts = {"jobs": len(rows), "connected": 0, "no_answer": 0, "voicemail": 0, "failed": 0, "cancelled": 0}
    for row in rows:
        if row["status"] == "cancelled":
            counts["cancelled"] += 1
        elif row["status"] == "failed" or row["outcome"] == "failed":
            counts["failed"] += 1
        elif row["outcome"] == "no-answer":
            counts["no_answer"] += 1
        elif row["outcome"] == "voicemail":
            counts["voicemail"] += 1
        else:
            counts["connected"] += 1
    return counts
