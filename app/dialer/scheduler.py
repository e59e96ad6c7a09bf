"""The dialer loop, owned by the app lifespan. Each tick:

1. settles dialled jobs whose call has ended: no-answer and busy are retried per the policy, the rest are done;
2. for every running campaign inside its dates and daily window, claims as many queued jobs as the pace and
   the per-flow and per-organisation concurrency allow, and dials them;
3. completes campaigns whose jobs are all terminal (`campaign.completed`).

Beside the ticks, a reconciler (`app.telephony.reconcile`) ends calls whose status callback never came, so
their jobs settle too.

Jobs are claimed by a conditional UPDATE to `dialling` with a claim token (`FOR UPDATE SKIP LOCKED` picks the
rows on PostgreSQL), so with several instances each job is dialled once, and a restart resumes from the rows.
The hot path works in sets: one transaction per tick claims the jobs and writes their call rows, one statement
records the carrier's answers, one UPDATE per distinct outcome settles the jobs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Case, F, Q, When
from tortoise.transactions import in_transaction

from app.calls.contract import CallEnd, CallReporter
from app.calls.lifecycle import ACTIVE_DIAL_JOBS, CallOutcome, CallStatus, DialJobStatus, EndReason
from app.config import Settings
from app.db.models import Call, Campaign, DialJob
from app.db.sql import dialect
from app.dialer import pacing, window
from app.dialer.campaigns import CampaignService
from app.ids import new_id
from app.telephony.base import Carrier, DialRequest, DialResult
from app.telephony.carriers import CarrierDirectory
from app.telephony.reconcile import CallReconciler
from app.webhooks.outbox import WebhookOutbox

log = logging.getLogger("app.dialer")
RETRY_REASONS = (EndReason.BUSY, EndReason.NO_ANSWER)


@dataclass(frozen=True)
class Claimed:
    """A job this instance claimed, with the call row written for its dial."""

    job_id: str
    customer_id: str
    phone: str
    call_id: str


@dataclass(frozen=True)
class Policy:
    calls_per_second: float
    flow_concurrency: int
    org_concurrency: int
    max_attempts: int
    retry_after: timedelta
    stale_after: timedelta

    @classmethod
    def of(cls, settings: Settings, config: dict[str, Any] | None = None) -> Policy:
        """Flow config `dialer: {calls_per_second, max_concurrent, max_attempts, retry_minutes}` overrides."""
        own = (config or {}).get("dialer") if isinstance(config, dict) else None
        own = own if isinstance(own, dict) else {}

        def number(key: str, default: float) -> float:
            value = own.get(key, default)
            return float(value) if isinstance(value, (int, float)) and value > 0 else default

        return cls(
            calls_per_second=number("calls_per_second", settings.dialer_calls_per_second),
            flow_concurrency=int(number("max_concurrent", settings.dialer_flow_concurrency)),
            org_concurrency=settings.dialer_org_concurrency,
            max_attempts=int(number("max_attempts", settings.dialer_max_attempts)),
            retry_after=timedelta(minutes=number("retry_minutes", settings.dialer_retry_minutes)),
            stale_after=timedelta(minutes=settings.dialer_stale_minutes),
        )


def _sid_or_kept(result: DialResult) -> str | F:
    """The carrier's call sid for the call row; a carrier that gave none leaves the column as it is."""
    return result.provider_call_id if result.provider_call_id is not None else F("provider_call_id")


class DialerScheduler:
    def __init__(
        self,
        campaigns: CampaignService,
        carriers: CarrierDirectory,
        reporter: CallReporter,
        outbox: WebhookOutbox,
        settings: Settings,
        clock: Callable[[], datetime] | None = None,
        organisations: Iterable[str] | None = None,
        *,
        reconciler: CallReconciler,
    ) -> None:
        """`organisations` limits this scheduler to some tenants (tests and benchmarks share a database); the
        reconciler, wired by `Platform.build`, should be limited to the same ones."""
        self._campaigns = campaigns
        self._carriers = carriers
        self._reporter = reporter
        self._outbox = outbox
        self._settings = settings
        self.clock = clock or campaigns.clock
        self._task: asyncio.Task[None] | None = None
        self._reconciling: asyncio.Task[None] | None = None
        self._dials: set[asyncio.Task[None]] = set()
        self.owner: str | None = None  # this process's instance lease, stamped on the calls it dials
        self._scope = Q(organisation_id__in=list(organisations)) if organisations is not None else Q()
        self.reconciler = reconciler

    @property
    def campaigns(self) -> CampaignService:
        return self._campaigns

    @property
    def carriers(self) -> CarrierDirectory:
        return self._carriers

    # lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="dialer")
            self._reconciling = asyncio.get_running_loop().create_task(self._reconcile(), name="dialer-reconcile")

    async def aclose(self) -> None:
        for task in (self._task, self._reconciling):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._task = self._reconciling = None
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
            except TimeoutError:
                pass
            self._campaigns.wake.clear()

    async def _reconcile(self) -> None:
        """Its own loop: carrier look-ups can be slow and must never hold up dialling."""
        while True:
            await asyncio.sleep(max(1.0, self._settings.dialer_reconcile_seconds))
            try:
                done = await self.reconciler.run()
                if done.ended or done.unknown:
                    log.info("reconciled calls: %s", done)
                    self._campaigns.wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("call reconciliation failed")

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
        flow_busy = await DialJob.filter(campaign_id=campaign.id, status=DialJobStatus.DIALLING).count()
        org_busy = await DialJob.filter(organisation_id=campaign.organisation_id, status=DialJobStatus.DIALLING).count()
        burst = max(1.0, policy.calls_per_second)
        wanted = min(
            policy.flow_concurrency - flow_busy,
            policy.org_concurrency - org_busy,
            pacing.available(campaign.pace_at, now, policy.calls_per_second, burst),
        )
        if wanted <= 0:
            return 0
        claimed = await self._claim(campaign, policy, wanted, now)
        if not claimed:
            return 0
        carrier = await self._carriers.for_organisation(campaign.organisation_id)
        task = asyncio.get_running_loop().create_task(self._dial_all(carrier, campaign, claimed))
        self._dials.add(task)
        task.add_done_callback(self._dials.discard)
        return len(claimed)

    async def _claim(self, campaign: Campaign, policy: Policy, limit: int, now: datetime) -> list[Claimed]:
        """One transaction per tick: pick the jobs, mark them dialling with a claim token, write their call
        rows and spend the pace. A restart finds either all of it or none of it."""
        flow = campaign.flow
        token = secrets.token_hex(8)
        async with in_transaction() as connection:
            query = (
                DialJob.filter(campaign_id=campaign.id, status=DialJobStatus.QUEUED, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "id")
                .limit(limit)
                .using_db(connection)
            )
            if dialect() == "postgres":
                query = query.select_for_update(skip_locked=True)
            rows = await query.values("id", "customer_id", "phone", "attempts")
            if not rows:
                return []
            changed = (
                await DialJob.filter(id__in=[row["id"] for row in rows], status=DialJobStatus.QUEUED)
                .using_db(connection)
                .update(status=DialJobStatus.DIALLING, claim=token, updated_at=now, attempts=F("attempts") + 1)
            )
            if changed != len(rows):  # another instance took some meanwhile: keep only ours
                ours = set(await DialJob.filter(claim=token).using_db(connection).values_list("id", flat=True))
                rows = [row for row in rows if row["id"] in ours]
                if not rows:
                    return []
            claimed = [Claimed(row["id"], row["customer_id"], row["phone"], new_id("cal")) for row in rows]
            await Call.bulk_create(
                [
                    Call(
                        id=job.call_id,
                        organisation_id=campaign.organisation_id,
                        call_type="outbound",
                        flow_id=flow.id,
                        customer_id=job.customer_id,
                        voice_agent_id=flow.voice_agent_id,
                        to_number=job.phone,
                        from_number=flow.phone_number,
                        status=CallStatus.QUEUED,
                        owner=self.owner,
                    )
                    for job in claimed
                ],
                using_db=connection,
            )
            await DialJob.bulk_update(
                [DialJob(id=job.job_id, call_id=job.call_id) for job in claimed],
                fields=["call_id"],
                using_db=connection,
            )
            await (
                Campaign.filter(id=campaign.id)
                .using_db(connection)
                .update(
                    pace_at=pacing.spend(
                        campaign.pace_at, now, policy.calls_per_second, max(1.0, policy.calls_per_second), len(claimed)
                    )
                )
            )
        return claimed

    async def _dial_all(self, carrier: Carrier, campaign: Campaign, claimed: list[Claimed]) -> None:
        """Dials concurrently; the answers that are in are written together, in one statement."""
        loop = asyncio.get_running_loop()
        pending = {loop.create_task(self._place(carrier, campaign, job)) for job in claimed}
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            try:
                await self._record([task.result() for task in done])
            except Exception:  # the calls stay queued: reconciliation settles them
                log.exception("recording %d dials of campaign %s failed", len(done), campaign.id)

    async def _place(self, carrier: Carrier, campaign: Campaign, job: Claimed) -> tuple[Claimed, DialResult]:
        flow = campaign.flow
        try:
            return job, await carrier.place_call(
                DialRequest(
                    call_id=job.call_id,
                    organisation_id=campaign.organisation_id,
                    flow_id=flow.id,
                    customer_id=job.customer_id,
                    to_number=job.phone,
                    caller_id=flow.phone_number,
                    flow_url=(flow.config or {}).get("exotel_flow_url") or self._settings.exotel_flow_url,
                )
            )
        except Exception as error:  # the job must still settle: record the failure on the call
            log.exception("dialling job %s failed", job.job_id)
            return job, DialResult("failed", reason=f"dial_error: {type(error).__name__}")

    async def _record(self, results: list[tuple[Claimed, DialResult]]) -> None:
        accepted = [(job, result) for job, result in results if result.outcome != "failed"]
        if accepted:  # one statement; a call a callback already moved on is no longer `queued` and keeps its state
            await Call.filter(id__in=[job.call_id for job, _ in accepted], status=CallStatus.QUEUED).update(
                status=CallStatus.RINGING,
                provider_call_id=Case(
                    *(When(id=job.call_id, then=_sid_or_kept(result)) for job, result in accepted),
                    default=F("provider_call_id"),
                ),
            )
        for job, result in results:
            if result.outcome == "failed":
                reason = result.reason or "failed"
                await self._reporter.ended(
                    job.call_id,
                    CallEnd(
                        outcome=CallOutcome.FAILED, ended_at=self.clock(), duration_seconds=0, end_reason=reason[:32]
                    ),
                )
                await Call.filter(id=job.call_id).update(summary=reason)

    async def settle(self, now: datetime) -> int:
        """Dialled jobs whose call ended become done, failed or queued again (retry)."""
        stale = now - Policy.of(self._settings).stale_after
        settled = await DialJob.filter(
            self._scope, status=DialJobStatus.DIALLING, call_id__isnull=True, updated_at__lt=stale
        ).update(status=DialJobStatus.FAILED, reason="dial interrupted")
        jobs = await DialJob.filter(self._scope, status=DialJobStatus.DIALLING, call_id__not_isnull=True)
        if not jobs:
            return settled
        calls = {
            row["id"]: row
            for row in await Call.filter(id__in=[job.call_id for job in jobs], ended_at__not_isnull=True).values(
                "id", "outcome", "end_reason"
            )
        }
        campaigns = {
            campaign.id: campaign
            for campaign in await Campaign.filter(id__in={job.campaign_id for job in jobs}).select_related("flow")
        }
        groups: dict[tuple[tuple[str, Any], ...], list[str]] = defaultdict(list)
        for job in jobs:
            call = calls.get(job.call_id)
            if call is None:  # still open: the reconciler ends it when the carrier cannot say
                continue
            changes = self._settled(job, call, campaigns[job.campaign_id], now)
            groups[tuple(sorted(changes.items()))].append(job.id)
        if groups:  # one UPDATE per distinct outcome, in one transaction
            async with in_transaction() as connection:
                for group, ids in groups.items():
                    settled += (
                        await DialJob.filter(id__in=ids, status=DialJobStatus.DIALLING)
                        .using_db(connection)
                        .update(**dict(group))
                    )
        return settled

    def _settled(self, job: DialJob, call: dict[str, Any], campaign: Campaign, now: datetime) -> dict[str, Any]:
        policy = Policy.of(self._settings, campaign.flow.config)
        running = campaign.status == "running"
        outcome, reason = call["outcome"], call["end_reason"]
        changes: dict[str, Any] = {"outcome": outcome, "reason": reason}
        if (
            outcome == CallOutcome.NO_ANSWER
            and reason in RETRY_REASONS
            and job.attempts < policy.max_attempts
            and running
        ):
            changes.update(
                status=DialJobStatus.QUEUED.value, next_attempt_at=now + policy.retry_after, call_id=None, claim=None
            )
        else:
            changes["status"] = (DialJobStatus.FAILED if outcome == CallOutcome.FAILED else DialJobStatus.DONE).value
        return changes

    async def complete(self, now: datetime) -> int:
        """Running campaigns with every job terminal complete; past their end date, queued jobs expire."""
        completed = 0
        for campaign in await Campaign.filter(self._scope, status="running").select_related("flow"):
            flow = campaign.flow
            if window.past_end(now, flow.end_date, flow.time_window):
                await DialJob.filter(campaign_id=campaign.id, status=DialJobStatus.QUEUED).update(
                    status=DialJobStatus.CANCELLED, reason="campaign ended"
                )
            if await DialJob.filter(campaign_id=campaign.id, status__in=ACTIVE_DIAL_JOBS).exists():
                continue
            async with in_transaction() as connection:
                changed = (
                    await Campaign.filter(id=campaign.id, status="running")
                    .using_db(connection)
                    .update(status="completed", completed_at=now)
                )
                if not changed:
                    continue
                stats = await _stats(campaign.id, connection)
                await self._outbox.enqueue(
                    campaign.organisation_id,
                    "campaign.completed",
                    {"flow_uuid": flow.id, "campaign_uuid": campaign.id, **stats},
                    connection=connection,
                )
            self._outbox.notify()
            completed += 1
        return completed


async def _stats(campaign_id: str, connection: BaseDBAsyncClient) -> dict[str, int]:
    rows = await DialJob.filter(campaign_id=campaign_id).using_db(connection).values("status", "outcome")
    counts = {"jobs": len(rows), "connected": 0, "no_answer": 0, "voicemail": 0, "failed": 0, "cancelled": 0}
    for row in rows:
        if row["status"] == DialJobStatus.CANCELLED:
            counts["cancelled"] += 1
        elif row["status"] == DialJobStatus.FAILED or row["outcome"] == CallOutcome.FAILED:
            counts["failed"] += 1
        elif row["outcome"] == CallOutcome.NO_ANSWER:
            counts["no_answer"] += 1
        elif row["outcome"] == CallOutcome.VOICEMAIL:
            counts["voicemail"] += 1
        else:
            counts["connected"] += 1
    return counts
