"""The transactional outbox of webhook deliveries.

`enqueue` runs inside the transaction of the state change that fires the event, so an event is
delivered if and only if the change committed. Workers `claim` due rows by leasing them (pushing
`next_attempt_at` past the send timeout): on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several
instances never take the same row; a worker that dies leaves its rows to come back after the lease.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from tortoise.transactions import in_transaction

from app.db.models import Webhook, WebhookDelivery, WebhookLog
from app.db.sql import dialect
from app.ids import new_id

EVENT_TYPES = ("call.started", "call.ended", "call.transferred", "call.no_answer", "call.voicemail",
               "campaign.launched", "campaign.stopped", "campaign.completed")
PING = "webhook.test"
MAX_ATTEMPTS = 4  # the first try and 3 retries


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def envelope(event: str, organisation_id: str, data: dict[str, Any], fired_at: datetime) -> dict[str, Any]:
    return {"event": event, "fired_at": iso(fired_at.replace(microsecond=0)), "organisation_uuid": organisation_id,
            "data": data}


class WebhookOutbox:
    def __init__(self) -> None:
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Tell this process's worker that rows were committed (it also polls, for other instances)."""
        self._wake.set()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        self._wake.clear()

    async def enqueue(self, organisation_id: str, event: str, data: dict[str, Any], *,
                      connection: Any = None, webhooks: Iterable[Webhook] | None = None) -> int:
        """Rows for every active webhook of the organisation subscribed to the event; call it inside the
        transaction (`connection`) of the change that fired it, and `notify()` after the commit."""
        if webhooks is None:
            query = Webhook.filter(organisation_id=organisation_id, is_active=True)
            if connection is not None:
                query = query.using_db(connection)
            webhooks = [hook for hook in await query if event in (hook.events or [])]
        now = utc_now()
        payload = envelope(event, organisation_id, data, now)
        rows = [WebhookDelivery(id=new_id("msg"), webhook_id=hook.id, event_type=event, payload=payload,
                                next_attempt_at=now) for hook in webhooks]
        if rows:
            await WebhookDelivery.bulk_create(rows, using_db=connection)
        return len(rows)

    async def claim(self, limit: int, lease_seconds: float, skip_webhooks: Iterable[str] = ()) -> list[WebhookDelivery]:
        now = utc_now()
        async with in_transaction() as connection:
            query = WebhookDelivery.filter(status="pending", next_attempt_at__lte=now)
            skip = list(skip_webhooks)
            if skip:
                query = query.exclude(webhook_id__in=skip)
            query = query.order_by("next_attempt_at").limit(limit).using_db(connection)
            if dialect() == "postgres":
                query = query.select_for_update(skip_locked=True)
            due = await query
            if due:
                await WebhookDelivery.filter(id__in=[row.id for row in due]).using_db(connection).update(
                    next_attempt_at=now + timedelta(seconds=lease_seconds))
        return due

    async def release(self, deliveries: Iterable[WebhookDelivery]) -> None:
        """Give back rows this worker claimed but will not send now, so they do not wait out the lease."""
        rows = list(deliveries)
        if rows:  # one statement; the earliest of their times keeps them ahead of rows that became due later
            await WebhookDelivery.filter(id__in=[row.id for row in rows], status="pending").update(
                next_attempt_at=min(row.next_attempt_at for row in rows))

    async def record(self, delivery: WebhookDelivery, *, response_status: int | None, success: bool,
                     error: str | None, triggered_at: datetime, backoff_seconds: float) -> None:
        """Log the attempt and settle the row: delivered, retried later with exponential backoff, or failed."""
        attempt = delivery.attempts + 1
        async with in_transaction() as connection:
            await WebhookLog.create(
                id=new_id("wbl"), webhook_id=delivery.webhook_id, delivery_id=delivery.id, attempt=attempt,
                event_type=delivery.event_type, payload=delivery.payload, response_status=response_status,
                success=success, error=(error or "")[:500] or None, triggered_at=triggered_at, using_db=connection)
            changes: dict[str, Any] = {"attempts": attempt}
            if success:
                changes.update(status="delivered", finished_at=utc_now())
            elif attempt >= MAX_ATTEMPTS:
                changes.update(status="failed", finished_at=utc_now())
            else:
                changes["next_attempt_at"] = utc_now() + timedelta(seconds=backoff_seconds * 2 ** (attempt - 1))
            await WebhookDelivery.filter(id=delivery.id, status="pending").using_db(connection).update(**changes)
            await Webhook.filter(id=delivery.webhook_id).using_db(connection).update(last_triggered_at=triggered_at)
