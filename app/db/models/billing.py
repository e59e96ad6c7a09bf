"""Price tables: at most one per organisation (no row: the default prices)."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.db.models.organisations import Organisation


class PriceTable(Model):
    """Prices an organisation saved, in the form app.billing.prices.table_as_dict writes."""

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.OneToOneRelation[Organisation] = fields.OneToOneField(
        "models.Organisation", related_name="price_table", on_delete=fields.CASCADE
    )
    currency = fields.CharField(max_length=3)
    body: fields.Field[Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "price_tables"
