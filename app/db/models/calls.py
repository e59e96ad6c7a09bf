"""Call records: one row per inbound, outbound or test call, with transcript and post-call results."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.db.models.agents import VoiceAgent
from app.db.models.customers import Customer
from app.db.models.flows import Flow
from app.db.models.organisations import Organisation


class Call(Model):
    """Flow, customer and agent are kept as nullable links so deleting them keeps the call history."""

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="calls", on_delete=fields.CASCADE
    )
    organisation_id: str
    call_type = fields.CharField(max_length=8, description="inbound, outbound or test")
    flow: fields.ForeignKeyNullableRelation[Flow] = fields.ForeignKeyField(
        "models.Flow", related_name="calls", null=True, on_delete=fields.SET_NULL, db_index=False
    )
    flow_id: str | None
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="calls", null=True, on_delete=fields.SET_NULL, db_index=False
    )
    customer_id: str | None
    voice_agent: fields.ForeignKeyNullableRelation[VoiceAgent] = fields.ForeignKeyField(
        "models.VoiceAgent", related_name="calls", null=True, on_delete=fields.SET_NULL
    )
    voice_agent_id: str | None
    from_number = fields.CharField(max_length=32, null=True)
    to_number = fields.CharField(max_length=32, null=True)
    status = fields.CharField(
        max_length=16, default="queued", description="queued, ringing, in-progress, completed, failed"
    )
    outcome = fields.CharField(max_length=16, null=True, description="connected, voicemail, no-answer, failed")
    sentiment = fields.CharField(max_length=8, null=True, description="positive, neutral, negative")
    duration = fields.IntField(null=True, description="seconds")
    summary: str | None = fields.TextField(null=True)
    transcript: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    key_details: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    provider_call_id = fields.CharField(max_length=128, null=True, db_index=True)
    recording_url = fields.CharField(max_length=1024, null=True, description="the provider recording")
    recording_path = fields.CharField(max_length=1024, null=True, description="a locally stored recording")
    recording_opt_out = fields.BooleanField(default=False)
    language_detected = fields.CharField(max_length=16, null=True)
    end_reason = fields.CharField(max_length=32, null=True, description="caller_hangup, dnc_request, transfer, ...")
    started_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    checked_at = fields.DatetimeField(null=True, description="when reconciliation last asked the carrier")
    owner = fields.CharField(max_length=24, null=True, description="the instance lease holding the live call")
    usage: fields.Field[Any] = fields.JSONField(null=True, description="what the call used (app.billing.usage)")
    cost: fields.Field[Any] = fields.JSONField(
        null=True, description="the cost breakdown by the price table at its end"
    )
    cost_total = fields.FloatField(null=True)
    cost_currency = fields.CharField(max_length=3, null=True)
    latency: fields.Field[Any] = fields.JSONField(
        null=True, description="p50, p95 and max voice-to-voice of its replies"
    )
    latency_p50_ms = fields.IntField(null=True)
    latency_turns = fields.IntField(default=0, description="replies with a voice-to-voice figure")
    latency_total_ms = fields.IntField(default=0, description="their voice-to-voice summed, for averages")
    is_lead = fields.BooleanField(default=False, description="the extraction marked the call a lead")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "calls"
        indexes = (
            ("organisation_id", "created_at"),
            ("flow_id", "created_at"),
            ("customer_id", "created_at"),
            ("ended_at", "updated_at"),  # reconciliation: open calls by age of their last status
            ("owner", "ended_at"),  # orphan sweep: open calls of a lapsed lease
        )
