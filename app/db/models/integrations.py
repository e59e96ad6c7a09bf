"""Provider integrations of an organisation (Exotel telephony, Sarvam voice), credentials encrypted."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.db.models.organisations import Organisation


class Integration(Model):
    """One connected provider per organisation.

    credentials holds a Fernet token of the JSON secrets (API key and token). account_sid is kept in the
    clear and indexed because unauthenticated carrier callbacks are matched on it.
    """

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="integrations", on_delete=fields.CASCADE
    )
    organisation_id: str
    provider = fields.CharField(max_length=16, description="exotel or sarvam")
    category = fields.CharField(max_length=16, description="telephony or voice")
    account_sid = fields.CharField(max_length=64, null=True, db_index=True)
    settings: fields.JSONField[dict[str, Any]] = fields.JSONField(
        default=dict, description="non-secret fields such as subdomain and phone number"
    )
    credentials = fields.TextField(description="Fernet token of the secret fields")
    connected_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "integrations"
        unique_together = (("organisation_id", "provider"),)
