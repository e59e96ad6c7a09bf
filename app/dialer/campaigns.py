"""Launch and stop outbound campaigns. Launch selects the flow's customers (tags any-of its branches),
skips do-not-call customers and those dialled within the dedup window, and queues one job row per
customer, under a lock on the campaign row so two launches never queue the same customer twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from app.calls.lifecycle import ACTIVE_DIAL_JOBS, DialJobStatus
from app.config import Settings
from app.customers.tags import customers_with_any, tag_ids
from app.db.models import Call, Campaign, Customer, DialJob, DoNotCall, Flow
from app.errors import Conflict, NotFound
from app.ids import new_id
from app.integrations.service import ExotelAccount
from app.utc import utc_now
from app.webhooks.outbox import WebhookOutbox

ACTIVE_JOBS = ACTIVE_DIAL_JOBS
BATCH = 1000


@dataclass(frozen=True)
class Launched:
    flow_id: str
    customers_queued: int


class CampaignService:
    def __init__(
        self,
        outbox: WebhookOutbox,
        settings: Settings,
        *,
        exotel_account: Callable[[str], Awaitable[ExotelAccount | None]] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._outbox = outbox
        self._settings = settings
        self._exotel_account = exotel_account  # async (organisation_id) -> ExotelAccount | None
        self.clock = clock
        self.wake = asyncio.Event()  # set on launch so the scheduler dials without waiting

    async def _flow(self, organisation_id: str, flow_id: str) -> Flow:
        flow = await Flow.get_or_none(id=flow_id, organisation_id=organisation_id)
        if flow is None:
            raise NotFound("Flow not found")
        return flow

    async def launch(self, organisation_id: str, flow_id: str) -> Launched:
        flow = await self._flow(organisation_id, flow_id)
        if flow.kind != "outbound":
            raise Conflict("Only outbound flows can be launched")
        if flow.voice_agent_id is None:
            raise Conflict("Assign a voice agent to the flow before launching it")
        if (
            self._exotel_account is not None
            and await self._exotel_account(organisation_id) is not None
            and not ((flow.config or {}).get("exotel_flow_url") or self._settings.exotel_flow_url)
        ):
            raise Conflict("Set config.exotel_flow_url on the flow (the Exotel voicebot flow) before launching")
        now = self.clock()
        async with in_transaction() as connection:
            # the flow row always exists: locking it serialises launches and stops of one flow
            await Flow.filter(id=flow.id).select_for_update().using_db(connection).first()
            campaign = await Campaign.filter(flow_id=flow.id).using_db(connection).first()
            was_running = campaign is not None and campaign.status == "running"
            if campaign is None:
                campaign = await Campaign.create(
                    id=new_id("cmp"),
                    organisation_id=organisation_id,
                    flow_id=flow.id,
                    status="running",
                    launched_at=now,
                    using_db=connection,
                )
            elif not was_running:
                campaign.status, campaign.launched_at, campaign.stopped_at, campaign.completed_at = (
                    "running",
                    now,
                    None,
                    None,
                )
                await campaign.save(using_db=connection)
            customers = await self._eligible(organisation_id, flow, campaign.id, now)
            jobs = [
                DialJob(
                    id=new_id("job"),
                    campaign_id=campaign.id,
                    organisation_id=organisation_id,
                    customer_id=customer_id,
                    phone=phone,
                    next_attempt_at=now,
                )
                for customer_id, phone in customers
            ]
            for start in range(0, len(jobs), BATCH):
                await DialJob.bulk_create(jobs[start : start + BATCH], using_db=connection)
            if flow.status != "active":
                await Flow.filter(id=flow.id).using_db(connection).update(status="active")
            await self._outbox.enqueue(
                organisation_id,
                "campaign.launched",
                {
                    "flow_uuid": flow.id,
                    "campaign_uuid": campaign.id,
                    "customers_queued": len(jobs),
                    "already_running": was_running,
                },
                connection=connection,
            )
        self._outbox.notify()
        self.wake.set()
        return Launched(flow.id, len(jobs))

    async def _eligible(
        self, organisation_id: str, flow: Flow, campaign_id: str, now: datetime
    ) -> list[tuple[str, str]]:
        query = Customer.filter(organisation_id=organisation_id)
        branches = [str(tag) for tag in (flow.branches or [])]
        if branches:
            ids = list((await tag_ids(organisation_id, branches, create=False)).values())
            if not ids:
                return []
            query = query.filter(id__in=customers_with_any(ids))
        rows = await query.order_by("created_at", "id").values_list("id", "phone")
        if not rows:
            return []
        skip = set(await DoNotCall.filter(organisation_id=organisation_id).values_list("customer_id", flat=True))
        cutoff = now - timedelta(hours=self._settings.dialer_dedup_hours)
        skip.update(
            await Call.filter(
                organisation_id=organisation_id,
                call_type="outbound",
                created_at__gte=cutoff,
                customer_id__not_isnull=True,
            ).values_list("customer_id", flat=True)
        )
        skip.update(
            await DialJob.filter(campaign_id=campaign_id, status__in=ACTIVE_JOBS).values_list("customer_id", flat=True)
        )
        return [(customer_id, phone) for customer_id, phone in rows if customer_id not in skip]

    async def stop(self, organisation_id: str, flow_id: str, *, quiet: bool = False) -> str:
        """No new dials; calls in progress finish. `quiet` (flow delete): nothing running is not an error."""
        flow = await self._flow(organisation_id, flow_id)
        async with in_transaction() as connection:
            await Flow.filter(id=flow.id).select_for_update().using_db(connection).first()
            campaign = await Campaign.filter(flow_id=flow.id).using_db(connection).first()
            if campaign is None or campaign.status != "running":
                if quiet:
                    return flow.id
                raise Conflict("Campaign is not running")
            now = self.clock()
            await Campaign.filter(id=campaign.id).using_db(connection).update(status="stopped", stopped_at=now)
            cancelled = (
                await DialJob.filter(campaign_id=campaign.id, status=DialJobStatus.QUEUED)
                .using_db(connection)
                .update(status=DialJobStatus.CANCELLED, reason="campaign stopped")
            )
            in_progress = (
                await DialJob.filter(campaign_id=campaign.id, status=DialJobStatus.DIALLING)
                .using_db(connection)
                .count()
            )
            await self._outbox.enqueue(
                organisation_id,
                "campaign.stopped",
                {
                    "flow_uuid": flow.id,
                    "campaign_uuid": campaign.id,
                    "jobs_cancelled": cancelled,
                    "calls_in_progress": in_progress,
                },
                connection=connection,
            )
        self._outbox.notify()
        return flow.id

    async def stop_campaign(self, organisation_id: str, flow_id: str) -> None:
        """The flow-delete hook (`FlowService.campaigns`)."""
        await self.stop(organisation_id, flow_id, quiet=True)

    async def has_running(self, organisation_id: str) -> bool:
        """The integrations hook: Exotel cannot be disconnected while this is true."""
        return await Campaign.exists(organisation_id=organisation_id, status="running")
