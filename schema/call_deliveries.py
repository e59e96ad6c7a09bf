"""Webhook deliveries of one call in GraphQL: what the console's call page shows under "Webhooks"."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.webhooks.call_deliveries import CallDelivery, call_deliveries
from schema.context import Info, org_of


@strawberry.type(name="CallWebhookDelivery", description="One event of the call sent to one webhook.")
class CallWebhookDeliveryType:
    delivery_id: str = strawberry.field(description="The webhook-id header value, the same on every retry.")
    webhook_uuid: str
    webhook_name: str
    event_type: str
    status: str = strawberry.field(description="pending, delivered or failed")
    attempts: int
    created_at: datetime
    finished_at: datetime | None
    last_response_status: int | None = strawberry.field(description="HTTP status of the latest attempt.")
    last_error: str | None
    last_attempt_at: datetime | None

    @classmethod
    def of(cls, delivery: CallDelivery) -> CallWebhookDeliveryType:
        return cls(
            delivery_id=delivery.delivery_id,
            webhook_uuid=delivery.webhook_id,
            webhook_name=delivery.webhook_name,
            event_type=delivery.event_type,
            status=delivery.status,
            attempts=delivery.attempts,
            created_at=delivery.created_at,
            finished_at=delivery.finished_at,
            last_response_status=delivery.last_response_status,
            last_error=delivery.last_error,
            last_attempt_at=delivery.last_attempt_at,
        )


@strawberry.type
class CallDeliveryQueries:
    @strawberry.field(description="Webhook deliveries fired by one call's events, oldest first.")
    async def call_webhook_deliveries(self, info: Info, call_uuid: strawberry.ID) -> list[CallWebhookDeliveryType]:
        organisation = await org_of(info)
        return [CallWebhookDeliveryType.of(found) for found in await call_deliveries(organisation, call_uuid)]
