"""Custom voices: cloned speakers, their reference audio and their fine-tuning dataset."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.db.models.organisations import Organisation


class Speaker(Model):
    """A voice cloned from reference audio, named uniquely within its organisation.

    Audio bytes live in blob storage, the row keeps their keys. deployed says whether the voice is in
    the organisation's catalog, training_status tracks the voice server's build job.
    """

    id = fields.CharField(pk=True, max_length=24)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "models.Organisation", related_name="speakers", on_delete=fields.CASCADE
    )
    organisation_id: str
    name = fields.CharField(max_length=64)
    language = fields.CharField(max_length=16)
    description: str | None = fields.TextField(null=True)
    reference_key = fields.CharField(max_length=255)
    reference_format = fields.CharField(max_length=8)
    reference_seconds = fields.FloatField()
    deployed = fields.BooleanField(default=False)
    voice_sample_uuid = fields.CharField(max_length=24, null=True)
    voice_model = fields.CharField(max_length=64, null=True)
    training_job_id = fields.CharField(max_length=128, null=True)
    training_status = fields.CharField(max_length=16, default="none")
    training_error: str | None = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "speakers"
        unique_together = (("organisation_id", "name"),)


class DatasetSample(Model):
    """One labelled clip of the speaker for fine-tuning: audio in blob storage plus what is said in it."""

    id = fields.CharField(pk=True, max_length=24)
    speaker: fields.ForeignKeyRelation[Speaker] = fields.ForeignKeyField(
        "models.Speaker", related_name="samples", on_delete=fields.CASCADE
    )
    speaker_id: str
    blob_key = fields.CharField(max_length=255)
    audio_format = fields.CharField(max_length=8)
    duration_seconds = fields.FloatField()
    transcript = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "speaker_dataset_samples"
        indexes = (("speaker_id", "created_at"),)
