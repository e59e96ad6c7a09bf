"""Voice agents: reusable AI personas with a voice."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.db.models.organisations import Organisation


class VoiceAgent(Model):
    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="voice_agents", on_delete=fields.CASCADE
    )
    organisation_id: str
    name = fields.CharField(max_length=200)
    role = fields.CharField(max_length=200)
    description: str | None = fields.TextField(null=True)
    avatar_color = fields.CharField(max_length=7, null=True)
    avatar_initials = fields.CharField(max_length=2, null=True)
    voice_config: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "voice_agents"
        indexes = (("organisation_id", "is_active", "created_at"),)
