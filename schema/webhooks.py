"""Webhooks in GraphQL: subscriptions, delivery logs, secret rotation and test pings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import UNSET
from strawberry.scalars import JSON

from app.db.models import Webhook, WebhookLog
from schema.context import Info, org_of
from schema.inputs import provided
from schema.rate_limit import RateLimit


def _webhook_fields(webhook: Webhook) -> dict[str, Any]:
    return dict(
        uuid=strawberry.ID(webhook.id),
        name=webhook.name,
        url=webhook.url,
        events=list(webhook.events or []),
        is_active=webhook.is_active,
        last_triggered_at=webhook.last_triggered_at,
        header_names=sorted(webhook.headers or {}),
        created_at=webhook.created_at,
    )


@strawberry.type(name="Webhook")
class WebhookType:
    uuid: strawberry.ID
    name: str
    url: str
    events: list[str]
    is_active: bool
    last_triggered_at: datetime | None
    header_names: list[str] = strawberry.field(description="Custom header names; values are never shown again.")
    created_at: datetime = strawberry.field()

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookType:
        return cls(**_webhook_fields(webhook))


@strawberry.type(name="WebhookWithSecret", description="Answered once, on create and on rotation.")
class WebhookWithSecretType(WebhookType):
    secret: str = strawberry.field(default="", description="Signing secret (whsec_...): store it now.")


@strawberry.type(name="WebhookLog")
class WebhookLogType:
    uuid: strawberry.ID
    event_type: str
    payload: JSON
    response_status: int | None
    success: bool
    triggered_at: datetime
    attempt: int = strawberry.field()
    error: str | None = strawberry.field()
    delivery_id: str = strawberry.field(description="The webhook-id header value.")

    @classmethod
    def of(cls, log: WebhookLog) -> WebhookLogType:
        return cls(
            uuid=strawberry.ID(log.id),
            event_type=log.event_type,
            payload=JSON(log.payload),
            response_status=log.response_status,
            success=log.success,
            triggered_at=log.triggered_at,
            attempt=log.attempt,
            error=log.error,
            delivery_id=log.delivery_id,
        )


@strawberry.input
class CreateWebhookInput:
    name: str
    url: str = strawberry.field(description="HTTPS endpoint that receives POST requests")
    events: list[str]
    headers: JSON | None = UNSET


@strawberry.input
class UpdateWebhookInput:
    name: str | None = UNSET
    url: str | None = UNSET
    events: list[str] | None = UNSET
    headers: JSON | None = UNSET
    is_active: bool | None = UNSET


@strawberry.type
class WebhookQueries:
    @strawberry.field
    async def webhooks(self, info: Info, is_active: bool | None = None) -> list[WebhookType]:
        organisation = await org_of(info)
        return [WebhookType.of(hook) for hook in await info.context.platform.webhooks.list(organisation, is_active)]

    @strawberry.field
    async def webhook(self, info: Info, uuid: strawberry.ID) -> WebhookType:
        organisation = await org_of(info)
        return WebhookType.of(await info.context.platform.webhooks.get(organisation, uuid))

    @strawberry.field(description="Delivery attempts, newest first.")
    async def webhook_logs(
        self, info: Info, uuid: strawberry.ID, limit: int | None = 50, offset: int | None = 0
    ) -> list[WebhookLogType]:
        organisation = await org_of(info)
        logs = await info.context.platform.webhooks.logs(
            organisation, uuid, limit=50 if limit is None else limit, offset=offset or 0
        )
        return [WebhookLogType.of(log) for log in logs]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        extensions=[RateLimit("20/minute")], description="The answer carries the signing secret, once."
    )
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> WebhookWithSecretType:
        organisation = await org_of(info)
        created = await info.context.platform.webhooks.create(organisation, provided(input))
        return WebhookWithSecretType(**_webhook_fields(created.webhook), secret=created.secret)

    @strawberry.mutation(description="Partial update; headers, when sent, replace the stored ones.")
    async def update_webhook(self, info: Info, uuid: strawberry.ID, input: UpdateWebhookInput) -> WebhookType:
        organisation = await org_of(info)
        return WebhookType.of(await info.context.platform.webhooks.update(organisation, uuid, provided(input)))

    @strawberry.mutation
    async def delete_webhook(self, info: Info, uuid: strawberry.ID) -> WebhookType:
        organisation = await org_of(info)
        return WebhookType.of(await info.context.platform.webhooks.delete(organisation, uuid))

    @strawberry.mutation(description="A new signing secret, answered once; the old one stops signing at once.")
    async def rotate_webhook_secret(self, info: Info, uuid: strawberry.ID) -> WebhookWithSecretType:
        organisation = await org_of(info)
        rotated = await info.context.platform.webhooks.rotate_secret(organisation, uuid)
        return WebhookWithSecretType(**_webhook_fields(rotated.webhook), secret=rotated.secret)

    @strawberry.mutation(description="Queue a signed `webhook.test` ping to this webhook; see its logs for the result.")
    async def test_webhook(self, info: Info, uuid: strawberry.ID) -> bool:
        organisation = await org_of(info)
        await info.context.platform.webhooks.test(organisation, uuid)
        return True
