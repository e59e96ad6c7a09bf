"""The transactional outbox of webhook deliveries.

`enqueue` runs inside the transaction of the state change that fires the event, so an event is
delivered if and only if the change committed. Workers `claim` due rows by leasing them (pushing
`next_attempt_at` past the send timeout): on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several
instances never take the same row; a worker that dies leaves its rows to come back after the lease.

A row can be written `held` (status), with `next_attempt_at` as its deadline: the event is fired, in the
transaction of its change, but its data is still being completed (`call.ended` waits for the post-call
analysis). `release_held_for_call` gives it its final data and makes it due; a hold nobody releases is
claimed at its deadline with the data it has, so a held event is never lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.db.call_delivery_indexes import CALL_UUID
from app.db.models import Webhook, WebhookDelivery, WebhookLog
from app.db.sql import dialect, fetch
from app.ids import new_id
from app.utc import utc_now

EVENT_TYPES = (
    "call.started",
    "call.ended",
    "call.transferred",
    "call.no_answer",
    "call.voicemail",
    "campaign.launched",
    "campaign.stopped",
    "campaign.completed",
)
PING = "webhook.test"
MAX_ATTEMPTS = 4  # the first try and 3 retries
PENDING = "pending"
HELD = "held"  # fired, waiting for its final data until `next_attempt_at` (see the module docstring)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def envelope(event: str, organisation_id: str, data: dict[str, Any], fired_at: datetime) -> dict[str, Any]:
    return {
        "event": event,
        "fired_at": iso(fired_at.replace(microsecond=0)),
        "organisation_uuid": organisation_id,
        "data": data,
    }


class WebhookOutbox:
    def __init__(self) -> None:
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Tell this process's worker that rows were committed (it also polls, for other instances)."""
        self._wake.set()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            pass
        self._wake.clear()

    async def enqueue(
        self,
        organisation_id: str,
        event: str,
        data: dict[str, Any],
        *,
        connection: Any = None,
        webhooks: Iterable[Webhook] | None = None,
        hold_until: datetime | None = None,
    ) -> int:
        """Rows for every active webhook of the organisation subscribed to the event; call it inside the
        transaction (`connection`) of the change that fired it, and `notify()` after the commit.
        `hold_until`: the rows are `held` until released or until that moment."""
        if webhooks is None:
            query = Webhook.filter(organisation_id=organisation_id, is_active=True)
            if connection is not None:
                query = query.using_db(connection)
            webhooks = [hook for hook in await query if event in (hook.events or [])]
        now = utc_now()
        payload = envelope(event, organisation_id, data, now)
        status, due = (PENDING, now) if hold_until is None else (HELD, hold_until)
        rows = [
            WebhookDelivery(
                id=new_id("msg"),
                webhook_id=hook.id,
                event_type=event,
                payload=payload,
                status=status,
                next_attempt_at=due,
            )
            for hook in webhooks
        ]
        if rows:
            await WebhookDelivery.bulk_create(rows, using_db=connection)
        return len(rows)

    async def release_held_for_call(
        self, organisation_id: str, call_id: str, event: str, data: dict[str, Any], *, connection: Any
    ) -> int:
        """Give the call's held `event` rows their final data and make them due now; answers how many.
        Rows already claimed (their hold ran out) are left alone: an event is never sent twice."""
        rows = await fetch(
            f"SELECT id FROM webhook_deliveries WHERE {CALL_UUID[dialect()]} = ? AND status = ? AND event_type = ?",
            (call_id, HELD, event),
        )
        if not rows:
            return 0
        now = utc_now()
        return (
            await WebhookDelivery.filter(id__in=[row["id"] for row in rows], status=HELD)
            .using_db(connection)
            .update(status=PENDING, payload=envelope(event, organisation_id, data, now), next_attempt_at=now)
        )

    async def claim(self, limit: int, lease_seconds: float, skip_webhooks: Iterable[str] = ()) -> list[WebhookDelivery]:
        now = utc_now()
        async with in_transaction() as connection:
            # held rows past their deadline go out as they are
            query = WebhookDelivery.filter(Q(status=PENDING) | Q(status=HELD), next_attempt_at__lte=now)
            skip = list(skip_webhooks)
            if skip:
                query = query.exclude(webhook_id__in=skip)
            query = query.order_by("next_attempt_at").limit(limit).using_db(connection)
            if dialect() == "postgres":
                query = query.select_for_update(skip_locked=True)
            due = await query
            if due:
                await (
                    WebhookDelivery.filter(id__in=[row.id for row in due])
                    .using_db(connection)
                    .update(status=PENDING, next_attempt_at=now + timedelta(seconds=lease_seconds))
                )
        return due

    async def release(self, deliveries: Iterable[WebhookDelivery]) -> None:
        """Give back rows this worker claimed but will not send now, so they do not wait out the lease."""
        rows = list(deliveries)
        if rows:  # one statement; the earliest of their times keeps them ahead of rows that became due later
            await WebhookDelivery.filter(id__in=[row.id for row in rows], status="pending").update(
                next_attempt_at=min(row.next_attempt_at for row in rows)
            )

    async def record(
        self,
        delivery: WebhookDelivery,
        *,
        response_status: int | None,
        success: bool,
        error: str | None,
        triggered_at: datetime,
        backoff_seconds: float,
    ) -> None:
        """Log the attempt and settle the row: delivered, retried later with exponential backoff, or failed."""
        attempt = delivery.attempts + 1
        async with in_transaction() as connection:
            await WebhookLog.create(
                id=new_id("wbl"),
                webhook_id=delivery.webhook_id,
                delivery_id=delivery.id,
                attempt=attempt,
                event_type=delivery.event_type,
                payload=delivery.payload,
                response_status=response_status,
                success=success,
                error=(error or "")[:500] or None,
                triggered_at=triggered_at,
                using_db=connection,
            )
            changes: dict[str, Any] = {"attempts": attempt}
            if success:
                changes.update(status="delivered", finished_at=utc_now())
            elif attempt >= MAX_ATTEMPTS:
                changes.update(status="failed", finished_at=utc_now())
            else:
                changes["next_attempt_at"] = utc_now() + timedelta(seconds=backoff_seconds * 2 ** (attempt - 1))
            await WebhookDelivery.filter(id=delivery.id, status="pending").using_db(connection).update(**changes)
            await Webhook.filter(id=delivery.webhook_id).using_db(connection).update(last_triggered_at=triggered_at)
