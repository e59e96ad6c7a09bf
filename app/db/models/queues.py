"""Human-agent queues: where warm transfers go, and the people in them with their presence."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.db.models.organisations import Organisation


class HumanQueue(Model):
    """A named transfer target of an organisation (e.g. sales_specialist) and the number it rings."""

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="human_queues", on_delete=fields.CASCADE
    )
    organisation_id: str
    name = fields.CharField(max_length=100)
    transfer_number = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)
    agents: fields.ReverseRelation[HumanAgent]

    class Meta:
        table = "human_queues"
        unique_together = (("organisation_id", "name"),)


class HumanAgent(Model):
    """A person answering transfers. Presence is available, busy or offline."""

    id = fields.CharField(pk=True, max_length=24)
    queue: fields.ForeignKeyRelation[HumanQueue] = fields.ForeignKeyField(
        "models.HumanQueue", related_name="agents", on_delete=fields.CASCADE
    )
    queue_id: str
    name = fields.CharField(max_length=200)
    presence = fields.CharField(max_length=12, default="offline")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "human_agents"
