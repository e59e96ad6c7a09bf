"""Process leases: one row per running `voiceai serve` process, renewed while it lives (the database
backend of `app.instances`, used when Redis is not configured)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class InstanceLease(Model):
    """A process holds its calls while expires_at lies ahead (rows of dead processes are pruned)."""

    id = fields.CharField(pk=True, max_length=24)
    host = fields.CharField(max_length=255, default="")
    pid = fields.IntField(default=0)
    started_at = fields.DatetimeField()
    renewed_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "instance_leases"
