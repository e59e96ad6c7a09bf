"""In-call HTTP tools: their definitions (per agent or flow), each organisation's signing secret, and the
invocations a call made."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.db.models.agents import VoiceAgent
from app.db.models.calls import Call
from app.db.models.flows import Flow
from app.db.models.organisations import Organisation


class Tool(Model):
    """An HTTP tool the model may call during a call, owned by a voice agent or by a flow (exactly one).

    headers holds a Fernet token of the JSON header map, since header values are usually credentials.
    """

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="tools", on_delete=fields.CASCADE
    )
    voice_agent: fields.ForeignKeyNullableRelation[VoiceAgent] = fields.ForeignKeyField(
        "models.VoiceAgent", related_name="tools", null=True, on_delete=fields.CASCADE, db_index=False
    )
    flow: fields.ForeignKeyNullableRelation[Flow] = fields.ForeignKeyField(
        "models.Flow", related_name="tools", null=True, on_delete=fields.CASCADE, db_index=False
    )
    voice_agent_id: str | None
    flow_id: str | None
    name = fields.CharField(max_length=64)
    description = fields.TextField()
    parameters: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    method = fields.CharField(max_length=8, default="POST")
    url = fields.CharField(max_length=2048)
    headers = fields.TextField(null=True, description="Fernet token of the JSON header map")
    timeout_seconds = fields.FloatField(default=5.0)
    speak_while_waiting = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tools"
        unique_together = (("voice_agent_id", "name"), ("flow_id", "name"))


class ToolSecret(Model):
    """The secret that signs an organisation's tool requests, encrypted at rest."""

    id = fields.IntField(pk=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="tool_secret", on_delete=fields.CASCADE, unique=True
    )
    secret = fields.TextField(description="Fernet token of the whsec_ secret")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tool_secrets"


class ToolInvocation(Model):
    """One tool call made during a call: what was asked, how it went, and the start of the answer."""

    id = fields.IntField(pk=True)
    call: fields.ForeignKeyRelation[Call] = fields.ForeignKeyField(
        "models.Call", related_name="tool_invocations", on_delete=fields.CASCADE
    )
    call_id: str
    tool = fields.CharField(max_length=64)
    arguments: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    status = fields.CharField(max_length=20, description="ok, invalid_arguments, timeout, http_error, failed")
    http_status = fields.IntField(null=True)
    latency_ms = fields.IntField(default=0)
    result = fields.TextField(default="", description="the answer or the error, truncated")
    at = fields.FloatField(default=0.0, description="seconds into the call")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tool_invocations"
