"""The webhook deliveries one call fired (call.started, call.ended, ...), for the console's call page.

A delivery is an outbox row (one event to one webhook); its attempts are the log rows with its id, the
latest of which says how the last try went. Rows are matched on the event data's `call_uuid`, through the
expression index of migration 0007 (the expression here must stay the indexed one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.db.call_delivery_indexes import CALL_UUID
from app.db.models import Call, WebhookDelivery, WebhookLog
from app.db.sql import dialect, fetch
from app.errors import NotFound
from app.webhooks.outbox import HELD, PENDING

MAX_DELIVERIES = 200


@dataclass(frozen=True)
class CallDelivery:
    delivery_id: str
    webhook_id: str
    webhook_name: str
    event_type: str
    status: str  # pending (held ones too: not sent yet), delivered or failed
    attempts: int
    created_at: datetime
    finished_at: datetime | None
    last_response_status: int | None
    last_error: str | None
    last_attempt_at: datetime | None


def delivery_ids_sql(dialect: str) -> str:
    """`payload` stays unqualified: it must read exactly as the indexed expression (only deliveries have it)."""
    return (
        "SELECT webhook_deliveries.id FROM webhook_deliveries JOIN webhooks ON webhooks.id = webhook_id "
        f"WHERE webhooks.organisation_id = ? AND {CALL_UUID[dialect]} = ? "
        "ORDER BY webhook_deliveries.created_at, webhook_deliveries.id LIMIT ?"
    )


async def call_deliveries(organisation_id: str, call_id: str) -> list[CallDelivery]:
    """Oldest first; NotFound when the call is not the organisation's (no hint that it exists elsewhere)."""
    if not await Call.exists(id=call_id, organisation_id=organisation_id):
        raise NotFound("Call not found")
    rows = await fetch(delivery_ids_sql(dialect()), (organisation_id, call_id, MAX_DELIVERIES))
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    deliveries = await WebhookDelivery.filter(id__in=ids).prefetch_related("webhook").order_by("created_at", "id")
    latest: dict[str, WebhookLog] = {}
    for log in await WebhookLog.filter(delivery_id__in=ids).order_by("attempt"):
        latest[log.delivery_id] = log
    return [
        CallDelivery(
            delivery_id=row.id,
            webhook_id=row.webhook.id,
            webhook_name=row.webhook.name,
            event_type=row.event_type,
            status=PENDING if row.status == HELD else row.status,
            attempts=row.attempts,
            created_at=row.created_at,
            finished_at=row.finished_at,
            last_response_status=latest[row.id].response_status if row.id in latest else None,
            last_error=latest[row.id].error if row.id in latest else None,
            last_attempt_at=latest[row.id].triggered_at if row.id in latest else None,
        )
        for row in deliveries
    ]
