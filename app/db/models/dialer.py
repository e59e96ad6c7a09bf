"""The campaign dialer: one campaign per outbound flow, one job row per customer to dial, and the
do-not-call list that keeps customers who asked out of every later campaign."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.db.models.customers import Customer
from app.db.models.flows import Flow
from app.db.models.organisations import Organisation


class Campaign(Model):
    """The dialer state of an outbound flow, reused when the flow is launched again.

    pace_at is the token-bucket instant of the pacing, shared by every instance through the row.
    """

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="campaigns", on_delete=fields.CASCADE
    )
    organisation_id: str
    flow: fields.ForeignKeyRelation[Flow] = fields.ForeignKeyField(
        "models.Flow", related_name="campaigns", on_delete=fields.CASCADE, unique=True
    )
    flow_id: str
    status = fields.CharField(max_length=12, default="running", description="running, stopped, completed")
    launched_at = fields.DatetimeField()
    stopped_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    pace_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "campaigns"
        indexes = (("status", "organisation_id"),)


class DialJob(Model):
    """One customer to dial in a campaign. Statuses: queued, dialling, done, failed, cancelled.

    A job is claimed by moving it to dialling with a claim token, so each job is dialled by one instance.
    """

    id = fields.CharField(pk=True, max_length=24)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "models.Campaign", related_name="jobs", on_delete=fields.CASCADE, db_index=False
    )
    campaign_id: str
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="dial_jobs", on_delete=fields.CASCADE, db_index=False
    )
    organisation_id: str
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="dial_jobs", on_delete=fields.CASCADE
    )
    customer_id: str
    phone = fields.CharField(max_length=16)
    status = fields.CharField(max_length=10, default="queued")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claim = fields.CharField(max_length=32, null=True)
    call_id = fields.CharField(max_length=24, null=True)
    outcome = fields.CharField(max_length=16, null=True)
    reason = fields.CharField(max_length=200, null=True)
    kind = fields.CharField(max_length=10, default="initial", description="initial or callback")
    note = fields.CharField(max_length=500, null=True, description="what the caller asked for (callbacks)")
    requested_by = fields.CharField(max_length=24, null=True, description="the call that asked for a callback")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "dial_jobs"
        indexes = (("campaign_id", "status", "next_attempt_at"), ("organisation_id", "status"), ("status", "call_id"))


class DoNotCall(Model):
    """A customer who asked not to be called again (a call ended with reason dnc_request)."""

    id = fields.IntField(pk=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="do_not_call", on_delete=fields.CASCADE
    )
    organisation_id: str
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="do_not_call", on_delete=fields.CASCADE, unique=True
    )
    customer_id: str
    call_id = fields.CharField(max_length=24, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "do_not_call"
