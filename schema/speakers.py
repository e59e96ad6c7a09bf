"""Custom voices in GraphQL: speakers, their dataset and deploy state.

Uploads follow the GraphQL multipart request spec (`Upload` scalar); REST takes multipart forms through
compat_rest/speaker_uploads.py and runs the same service calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from app.db.models import DatasetSample, Speaker
from app.speakers.service import CREATED_MESSAGE, DatasetStats, ReferenceAudio
from schema.context import Info, org_of
from schema.rate_limit import RateLimit


@strawberry.type(name="Speaker")
class SpeakerType:
    name: str
    language: str
    description: str | None
    deployed: bool
    voice_sample_uuid: str | None
    reference_duration_seconds: float
    training_status: str = strawberry.field(description="none, queued, running, succeeded, failed or local")
    created_at: datetime

    @classmethod
    def of(cls, speaker: Speaker) -> SpeakerType:
        return cls(
            name=speaker.name,
            language=speaker.language,
            description=speaker.description,
            deployed=speaker.deployed,
            voice_sample_uuid=speaker.voice_sample_uuid if speaker.deployed else None,
            reference_duration_seconds=speaker.reference_seconds,
            training_status=speaker.training_status,
            created_at=speaker.created_at,
        )


@strawberry.type
class SpeakerCreated:
    name: str
    language: str
    status: str
    message: str


@strawberry.type
class SpeakerDeletion:
    name: str
    deleted: bool


@strawberry.type(name="ReferenceAudio", description="GraphQL cannot stream audio: this names the REST stream.")
class ReferenceAudioType:
    name: str
    content_type: str
    duration_seconds: float
    size_bytes: int
    url: str


@strawberry.type
class SpeakerDataset:
    name: str
    sample_count: int
    total_duration_seconds: float
    status: str = strawberry.field(description="empty, collecting, or ready (at least 20 samples and 120 s)")

    @classmethod
    def of(cls, stats: DatasetStats) -> SpeakerDataset:
        return cls(
            name=stats.name,
            sample_count=stats.sample_count,
            total_duration_seconds=stats.total_duration_seconds,
            status=stats.status.value,
        )


@strawberry.type(name="DatasetSample")
class DatasetSampleType:
    sample_id: str
    duration_seconds: float
    transcript: str

    @classmethod
    def of(cls, sample: DatasetSample) -> DatasetSampleType:
        return cls(sample_id=sample.id, duration_seconds=sample.duration_seconds, transcript=sample.transcript)


@strawberry.type
class SpeakerDeployment:
    name: str
    deployed: bool
    voice_sample_uuid: str | None
    training_status: str

    @classmethod
    def of(cls, speaker: Speaker) -> SpeakerDeployment:
        return cls(
            name=speaker.name,
            deployed=speaker.deployed,
            voice_sample_uuid=speaker.voice_sample_uuid if speaker.deployed else None,
            training_status=speaker.training_status,
        )


def created(speaker: Speaker) -> SpeakerCreated:
    return SpeakerCreated(name=speaker.name, language=speaker.language, status="created", message=CREATED_MESSAGE)


def reference_of(reference: ReferenceAudio, public_url: str) -> ReferenceAudioType:
    return ReferenceAudioType(
        name=reference.name,
        content_type=reference.content_type,
        duration_seconds=reference.duration_seconds,
        size_bytes=reference.size_bytes,
        url=f"{public_url}/api/voice/models/speakers/{reference.name}/reference",
    )


@strawberry.type
class SpeakerQueries:
    @strawberry.field(description="The organisation's cloned speakers with their deploy state.")
    async def speakers(self, info: Info) -> list[SpeakerType]:
        organisation = await org_of(info)
        return [SpeakerType.of(s) for s in await info.context.platform.speakers.list(organisation)]

    @strawberry.field(description="One speaker; an unfinished build job is refreshed from the voice server.")
    async def speaker(self, info: Info, name: str) -> SpeakerType:
        organisation = await org_of(info)
        return SpeakerType.of(await info.context.platform.speakers.get(organisation, name))

    @strawberry.field(description="Where to stream the reference audio (REST), with its type and length.")
    async def speaker_reference(self, info: Info, name: str) -> ReferenceAudioType:
        organisation = await org_of(info)
        platform = info.context.platform
        return reference_of(await platform.speakers.reference(organisation, name), platform.settings.public_url)

    @strawberry.field(description="Dataset statistics for fine-tuning.")
    async def speaker_dataset(self, info: Info, name: str) -> SpeakerDataset:
        organisation = await org_of(info)
        return SpeakerDataset.of(await info.context.platform.speakers.dataset(organisation, name))


@strawberry.type
class SpeakerMutations:
    @strawberry.mutation(
        extensions=[RateLimit("5/minute")], description="Clone a speaker from 10–60 s of WAV or MP3 reference audio."
    )
    async def create_speaker(
        self, info: Info, name: str, language: str, reference_audio: Upload, description: str | None = None
    ) -> SpeakerCreated:
        organisation = await org_of(info)
        upload = cast(UploadFile, reference_audio)  # strawberry types Upload as bytes; Starlette hands an UploadFile
        speaker = await info.context.platform.speakers.create(
            organisation,
            name=name,
            language=language,
            description=description,
            filename=upload.filename or "",
            audio=await upload.read(),
        )
        return created(speaker)

    @strawberry.mutation(description="Undeploys, then deletes the speaker, its dataset and its files.")
    async def delete_speaker(self, info: Info, name: str) -> SpeakerDeletion:
        organisation = await org_of(info)
        speaker = await info.context.platform.speakers.delete(organisation, name)
        return SpeakerDeletion(name=speaker.name, deleted=True)

    @strawberry.mutation(
        extensions=[RateLimit("30/minute")],
        description="Add a 5–30 s WAV or MP3 clip with the exact text spoken in it.",
    )
    async def upload_dataset_sample(
        self, info: Info, name: str, audio: Upload, transcript: str | None = None
    ) -> DatasetSampleType:
        organisation = await org_of(info)
        upload = cast(UploadFile, audio)  # strawberry types Upload as bytes; Starlette hands an UploadFile
        sample = await info.context.platform.speakers.add_sample(
            organisation, name, transcript=transcript, filename=upload.filename or "", audio=await upload.read()
        )
        return DatasetSampleType.of(sample)

    @strawberry.mutation(description="Remove every dataset sample; the speaker stays.")
    async def clear_speaker_dataset(self, info: Info, name: str) -> SpeakerDataset:
        organisation = await org_of(info)
        return SpeakerDataset.of(await info.context.platform.speakers.clear_dataset(organisation, name))

    @strawberry.mutation(
        extensions=[RateLimit("5/minute")],
        description="Build the voice on the voice server and publish it in the catalog.",
    )
    async def deploy_speaker(self, info: Info, name: str) -> SpeakerDeployment:
        organisation = await org_of(info)
        return SpeakerDeployment.of(await info.context.platform.speakers.deploy(organisation, name))

    @strawberry.mutation(description="Remove from the catalog; agents already using the voice keep it.")
    async def undeploy_speaker(self, info: Info, name: str) -> SpeakerDeployment:
        organisation = await org_of(info)
        return SpeakerDeployment.of(await info.context.platform.speakers.undeploy(organisation, name))
