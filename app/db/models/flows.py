"""Flows (inbound lines and outbound campaigns) and the scripts they deliver."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.db.models.agents import VoiceAgent
from app.db.models.organisations import Organisation


class Script(Model):
    """What an agent says: opening line, talking points, FAQ answers and closing line."""

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="scripts", on_delete=fields.CASCADE
    )
    organisation_id: str
    name = fields.CharField(max_length=200)
    opening_line: str | None = fields.TextField(null=True)
    talking_points: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    faq: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    closing_line: str | None = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "scripts"
        indexes = (("organisation_id", "created_at"),)


class Flow(Model):
    """An inbound line or an outbound campaign.

    active_inbound_number holds phone_number only while the flow is an active inbound line. Its unique
    constraint is how an incoming call finds exactly one flow, across all organisations.
    """

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="flows", on_delete=fields.CASCADE
    )
    organisation_id: str
    kind = fields.CharField(max_length=8)
    name = fields.CharField(max_length=200)
    provider = fields.CharField(max_length=16)
    status = fields.CharField(max_length=8, default="draft")
    voice_agent: fields.ForeignKeyNullableRelation[VoiceAgent] = fields.ForeignKeyField(
        "models.VoiceAgent", related_name="flows", null=True, on_delete=fields.SET_NULL
    )
    voice_agent_id: str | None
    phone_number = fields.CharField(max_length=16, null=True)
    active_inbound_number = fields.CharField(max_length=16, null=True, unique=True)
    script: fields.ForeignKeyNullableRelation[Script] = fields.ForeignKeyField(
        "models.Script", related_name="flows", null=True, on_delete=fields.RESTRICT
    )
    script_id: str | None
    branches: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    start_date = fields.DateField(null=True)
    end_date = fields.DateField(null=True)
    time_window: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    config: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "flows"
        indexes = (("organisation_id", "kind", "status"), ("organisation_id", "created_at"))
