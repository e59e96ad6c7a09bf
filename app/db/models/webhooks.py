"""Webhooks: subscriptions of external workflow services, their outbox of deliveries and the attempt log."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.db.models.organisations import Organisation


class Webhook(Model):
    """An HTTPS endpoint subscribed to event types. The signing secret is stored encrypted."""

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="webhooks", on_delete=fields.CASCADE
    )
    organisation_id: str
    name = fields.CharField(max_length=200)
    url = fields.CharField(max_length=2048)
    events: fields.JSONField[list[str]] = fields.JSONField(default=list)
    headers: fields.JSONField[dict[str, str]] = fields.JSONField(default=dict)
    secret = fields.TextField(description="Fernet token of the signing secret")
    is_active = fields.BooleanField(default=True)
    last_triggered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhooks"
        indexes = (("organisation_id", "created_at"),)


class WebhookDelivery(Model):
    """The transactional outbox: one row per event and webhook, written with the change that caused it.

    Workers claim due rows by pushing next_attempt_at forward (a lease), so a crashed worker's rows
    come back by themselves. The id is the Standard Webhooks message id, the same on every retry.
    """

    id = fields.CharField(pk=True, max_length=24)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="deliveries", on_delete=fields.CASCADE
    )
    webhook_id: str
    event_type = fields.CharField(max_length=32)
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField()
    status = fields.CharField(max_length=12, default="pending", description="pending, delivered, failed")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_deliveries"
        indexes = (("status", "next_attempt_at"),)


class WebhookLog(Model):
    """One row per delivery attempt, successful or not."""

    id = fields.CharField(pk=True, max_length=24)
    webhook: fields.ForeignKeyRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="logs", on_delete=fields.CASCADE
    )
    webhook_id: str
    delivery_id = fields.CharField(max_length=24)
    attempt = fields.IntField()
    event_type = fields.CharField(max_length=32)
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField()
    response_status = fields.IntField(null=True)
    success = fields.BooleanField()
    error = fields.CharField(max_length=500, null=True)
    triggered_at = fields.DatetimeField()

    class Meta:
        table = "webhook_logs"
        indexes = (("webhook_id", "triggered_at"),)
