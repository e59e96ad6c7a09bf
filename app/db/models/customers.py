"""Customers: the contact list, with tags for targeting and free metadata for lead triggers.

Tags are stored twice on purpose: `Customer.tags` (JSON, in the order the client gave) is what reads
return without a join, and the `Tag` and `CustomerTag` tables are what filters and counts use, because
they index the same way on SQLite and PostgreSQL (JSON containment lookups do not work on SQLite).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.db.models.organisations import Organisation


class Customer(Model):
    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="customers", on_delete=fields.CASCADE
    )
    organisation_id: str
    name = fields.CharField(max_length=200)
    search_name = fields.CharField(max_length=200, description="casefolded name for portable case-insensitive search")
    phone = fields.CharField(max_length=16)
    email = fields.CharField(max_length=320, null=True)
    tags: fields.JSONField[list[str]] = fields.JSONField(default=list)
    preferred_language = fields.CharField(max_length=8, null=True)
    metadata: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    total_calls = fields.IntField(default=0)
    inbound_calls = fields.IntField(default=0)
    outbound_calls = fields.IntField(default=0)
    last_contact = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customers"
        unique_together = (("organisation_id", "phone"),)
        indexes = (("organisation_id", "created_at", "id"),)


class Tag(Model):
    """One row per distinct tag value of an organisation."""

    id = fields.IntField(pk=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="tags", on_delete=fields.CASCADE
    )
    organisation_id: str
    name = fields.CharField(max_length=100)

    class Meta:
        table = "tags"
        unique_together = (("organisation_id", "name"),)


class CustomerTag(Model):
    """The link table tag filters and counts run on (index on tag then customer)."""

    id = fields.IntField(pk=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="tag_links", on_delete=fields.CASCADE, db_index=False
    )
    customer_id: str
    tag: fields.ForeignKeyRelation[Tag] = fields.ForeignKeyField(
        "models.Tag", related_name="customer_links", on_delete=fields.CASCADE, db_index=False
    )
    tag_id: int

    class Meta:
        table = "customer_tags"
        unique_together = (("tag_id", "customer_id"), ("customer_id", "tag_id"))
