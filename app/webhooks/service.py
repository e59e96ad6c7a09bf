"""Webhook subscriptions: create (the secret is shown once), read, update, delete, rotate, test, logs."""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from app import field_checks as check
from app.db.models import Webhook, WebhookLog
from app.errors import Invalid, NotFound
from app.ids import new_id
from app.utc import utc_now
from app.webhooks.addresses import AddressPolicy, check_url
from app.webhooks.outbox import EVENT_TYPES, PING, WebhookOutbox, iso
from app.webhooks.signing import SecretBox, new_secret

HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")
RESERVED_HEADERS = {
    "host",
    "content-type",
    "content-length",
    "x-nn-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "user-agent",
    "transfer-encoding",
    "connection",
}
MAX_LIMIT = 100


@dataclass(frozen=True)
class CreatedWebhook:
    webhook: Webhook
    secret: str


def _events(value: Any) -> list[str]:
    events = check.string_list("events", value, max_items=len(EVENT_TYPES), max_length=40)
    if not events:
        raise Invalid("events must name at least one event type")
    unknown = [event for event in events if event not in EVENT_TYPES]
    if unknown:
        raise Invalid(f"events: unknown event type {unknown[0]!r} (one of {', '.join(EVENT_TYPES)})")
    return events


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    headers = check.json_object("headers", value)
    if len(headers) > 20:
        raise Invalid("headers must have at most 20 entries")
    for name, item in headers.items():
        if not HEADER_NAME.match(name):
            raise Invalid(f"headers: {name!r} is not a valid header name")
        if name.lower() in RESERVED_HEADERS:
            raise Invalid(f"headers: {name} is set by the platform")
        if not isinstance(item, str) or len(item) > 1000 or "\r" in item or "\n" in item:
            raise Invalid(f"headers.{name} must be a single-line string of at most 1000 characters")
    return dict(headers)


class WebhookService:
    def __init__(self, outbox: WebhookOutbox, box: SecretBox, policy: AddressPolicy) -> None:
        self.outbox = outbox
        self._box = box
        self._policy = policy

    async def list(self, organisation_id: str, is_active: bool | None = None) -> list[Webhook]:
        query = Webhook.filter(organisation_id=organisation_id)
        if is_active is not None:
            query = query.filter(is_active=is_active)
        return await query.order_by("created_at", "id")

    async def get(self, organisation_id: str, webhook_id: str) -> Webhook:
        webhook = await Webhook.get_or_none(id=webhook_id, organisation_id=organisation_id)
        if webhook is None:
            raise NotFound("Webhook not found")
        return webhook

    async def create(self, organisation_id: str, data: Mapping[str, Any]) -> CreatedWebhook:
        name = check.text("name", data.get("name"), max_length=200)
        events = _events(data.get("events"))
        headers = _headers(data.get("headers"))
        url = await check_url(data.get("url"), self._policy)
        secret = new_secret()
        webhook = await Webhook.create(
            id=new_id("wbh"),
            organisation_id=organisation_id,
            name=name,
            url=url,
            events=events,
            headers=headers,
            secret=self._box.seal(secret),
            is_active=True if data.get("is_active") is None else bool(data["is_active"]),
        )
        return CreatedWebhook(webhook, secret)

    async def update(self, organisation_id: str, webhook_id: str, data: Mapping[str, Any]) -> Webhook:
        webhook = await self.get(organisation_id, webhook_id)
        if "name" in data:
            webhook.name = check.text("name", data["name"], max_length=200)
        if "events" in data:
            webhook.events = _events(data["events"])
        if "headers" in data:
            webhook.headers = _headers(data["headers"])
        if "is_active" in data:
            if not isinstance(data["is_active"], bool):
                raise Invalid("is_active must be a boolean")
            webhook.is_active = data["is_active"]
        if "url" in data:
            webhook.url = await check_url(data["url"], self._policy)
        await webhook.save()
        return webhook

    async def delete(self, organisation_id: str, webhook_id: str) -> Webhook:
        webhook = await self.get(organisation_id, webhook_id)
        await webhook.delete()
        return webhook

    async def rotate_secret(self, organisation_id: str, webhook_id: str) -> CreatedWebhook:
        """The old secret stops signing at once; deliveries still queued are signed with the new one."""
        webhook = await self.get(organisation_id, webhook_id)
        secret = new_secret()
        webhook.secret = self._box.seal(secret)
        await webhook.save(update_fields=["secret", "updated_at"])
        return CreatedWebhook(webhook, secret)

    async def test(self, organisation_id: str, webhook_id: str) -> str:
        """Queue a `webhook.test` ping to this webhook alone (active or not); returns the delivery id."""
        webhook = await self.get(organisation_id, webhook_id)
        async with in_transaction() as connection:
            await self.outbox.enqueue(
                organisation_id,
                PING,
                {"webhook_uuid": webhook.id, "sent_at": iso(utc_now())},
                connection=connection,
                webhooks=[webhook],
            )
        self.outbox.notify()
        return webhook.id

    async def logs(
        self, organisation_id: str, webhook_id: str, *, limit: int = 50, offset: int = 0
    ) -> builtins.list[WebhookLog]:
        limit = check.bounded_int("limit", limit, minimum=1, maximum=MAX_LIMIT)
        offset = check.bounded_int("offset", offset, minimum=0)
        await self.get(organisation_id, webhook_id)
        return (
            await WebhookLog.filter(webhook_id=webhook_id).order_by("-triggered_at", "-id").offset(offset).limit(limit)
        )
