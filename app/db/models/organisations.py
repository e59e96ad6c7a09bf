"""Tenancy: organisations, their members (Firebase users) and API keys."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Organisation(Model):
    id = fields.CharField(pk=True, max_length=24)
    name = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organisations"


class User(Model):
    """A person who signs in with Firebase, mapped by uid to one organisation."""

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="users", on_delete=fields.CASCADE
    )
    organisation_id: str
    firebase_uid = fields.CharField(max_length=128, unique=True)
    email = fields.CharField(max_length=320, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class ApiKey(Model):
    """Only the SHA-256 of a key is stored. The prefix identifies it to people (revocation, listings)."""

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="api_keys", on_delete=fields.CASCADE
    )
    organisation_id: str
    name = fields.CharField(max_length=200, null=True)
    prefix = fields.CharField(max_length=24, unique=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_keys"
