"""Custom speakers: create from reference audio, collect a fine-tuning dataset, deploy to the catalog.

Audio is decoded before anything is stored, so a rejected upload leaves no row and no blob. The voice
server (NextNeural, or the offline stand-in) is told about a speaker before its row is written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum

from tortoise.exceptions import IntegrityError

from app import field_checks as check
from app.blobs import BlobStore
from app.db.models import DatasetSample, Speaker
from app.errors import Conflict, Invalid, NotFound, TooLarge, Unavailable
from app.ids import new_id
from app.voice_catalog import catalog
from app.voice_catalog.audio_probe import CONTENT_TYPES, AudioInfo, check_duration, probe_async
from app.voice_catalog.custom_voices import custom_voice_uuid
from app.voice_catalog.nextneural import JobStatus, SampleUpload, VoiceCloner

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_MAX = 64
REFERENCE_MAX_BYTES = 25 * 1024 * 1024
SAMPLE_MAX_BYTES = 10 * 1024 * 1024
REFERENCE_SECONDS = (10.0, 60.0)
SAMPLE_SECONDS = (5.0, 30.0)
READY_SAMPLES = 20  # a dataset is `ready` for fine-tuning with at least 20 samples
READY_SECONDS = 120.0  # ... and at least two minutes of audio in total
TRANSCRIPT_MAX = 2000
CREATED_MESSAGE = "Speaker created. Upload dataset samples and deploy to use in flows."


class DatasetStatus(str, Enum):
    EMPTY = "empty"
    COLLECTING = "collecting"
    READY = "ready"


@dataclass(frozen=True)
class DatasetStats:
    name: str
    sample_count: int
    total_duration_seconds: float
    status: DatasetStatus


@dataclass(frozen=True)
class ReferenceAudio:
    name: str
    content_type: str
    duration_seconds: float
    size_bytes: int
    key: str


def dataset_status(count: int, seconds: float) -> DatasetStatus:
    if count == 0:
        return DatasetStatus.EMPTY
    return DatasetStatus.READY if count >= READY_SAMPLES and seconds >= READY_SECONDS else DatasetStatus.COLLECTING


def _name(value: object) -> str:
    name = check.text("name", value, max_length=NAME_MAX)
    if not NAME.match(name or ""):
        raise Invalid(f"name must be lowercase letters, digits and hyphens like aria-custom, not {name!r}")
    if name in catalog.speakers_of(catalog.VoiceProvider.NEXTNEURAL):
        raise Conflict(f"name '{name}' is a built-in nextneural voice")
    return name


def _language(value: object) -> str:
    language = check.language_tag("language", value)
    if language is None:
        raise Invalid("language is required")
    if language not in catalog.LANGUAGE_NAMES:
        raise Invalid(f"language must be one of {', '.join(catalog.LANGUAGE_NAMES)}")
    return language


async def _audio(field: str, data: bytes, limit: int, seconds: tuple[float, float]) -> AudioInfo:
    if len(data) > limit:
        raise TooLarge(f"{field} is larger than {limit} bytes")
    info = await probe_async(field, data)
    check_duration(field, info, *seconds)
    return info


class SpeakerService:
    def __init__(self, blobs: BlobStore, cloner: VoiceCloner) -> None:
        self._blobs = blobs
        self._cloner = cloner

    async def list(self, organisation_id: str) -> list[Speaker]:
        return await Speaker.filter(organisation_id=organisation_id).order_by("created_at", "name")

    async def get(self, organisation_id: str, name: str) -> Speaker:
        """Also refreshes an unfinished build job from the voice server (kept as it was if it does not answer)."""
        speaker = await self._find(organisation_id, name)
        if speaker.training_job_id and not JobStatus(speaker.training_status).finished:
            try:
                job = await self._cloner.job(speaker.training_job_id)
            except Unavailable as error:
                log.warning("build job %s of %s not refreshed: %s", speaker.training_job_id, speaker.id, error.detail)
                return speaker
            if job.status.value != speaker.training_status:
                speaker.training_status, speaker.training_error = job.status.value, job.error
                await speaker.save(update_fields=["training_status", "training_error", "updated_at"])
        return speaker

    async def _find(self, organisation_id: str, name: str) -> Speaker:
        speaker = await Speaker.get_or_none(organisation_id=organisation_id, name=name)
        if speaker is None:
            raise NotFound("Speaker not found")
        return speaker

    async def create(
        self,
        organisation_id: str,
        *,
        name: object,
        language: object,
        description: object,
        filename: str,
        audio: bytes | None,
    ) -> Speaker:
        name, language = _name(name), _language(language)
        description = check.text("description", description, max_length=2000, required=False)
        if audio is None:
            raise Invalid("reference_audio is required")
        if await Speaker.exists(organisation_id=organisation_id, name=name):
            raise Conflict(f"a speaker named '{name}' already exists")
        info = await _audio("reference_audio", audio, REFERENCE_MAX_BYTES, REFERENCE_SECONDS)
        speaker_id = new_id("spk")
        key = f"speakers/{organisation_id}/{speaker_id}/reference.{info.format}"
        await self._blobs.put(key, audio)
        try:
            await self._cloner.create_speaker(
                speaker_id, language, filename or f"reference.{info.format}", info.content_type, audio
            )
            return await Speaker.create(
                id=speaker_id,
                organisation_id=organisation_id,
                name=name,
                language=language,
                description=description,
                reference_key=key,
                reference_format=info.format,
                reference_seconds=info.duration_seconds,
            )
        except BaseException as error:
            await self._blobs.delete(key)
            if isinstance(error, IntegrityError):
                await self._cloner.delete_speaker(speaker_id)
                raise Conflict(f"a speaker named '{name}' already exists") from None
            raise

    async def delete(self, organisation_id: str, name: str) -> Speaker:
        """Undeploys first, then removes the rows, the voice server's copy and the files."""
        speaker = await self._find(organisation_id, name)
        if speaker.deployed:
            await self.undeploy(organisation_id, name)
        samples: list[str] = await DatasetSample.filter(speaker_id=speaker.id).values_list(  # type: ignore[assignment]
            "blob_key", flat=True
        )  # tortoise types flat values_list rows as tuples
        keys = [speaker.reference_key, *samples]
        await self._cloner.delete_speaker(speaker.id)
        await speaker.delete()
        for key in keys:
            await self._blobs.delete(key)
        return speaker

    async def reference(self, organisation_id: str, name: str) -> ReferenceAudio:
        speaker = await self._find(organisation_id, name)
        return ReferenceAudio(
            speaker.name,
            CONTENT_TYPES[speaker.reference_format],
            speaker.reference_seconds,
            await self._blobs.size(speaker.reference_key),
            speaker.reference_key,
        )

    def stream(self, key: str) -> AsyncIterator[bytes]:
        return self._blobs.open(key)

    async def dataset(self, organisation_id: str, name: str) -> DatasetStats:
        speaker = await self._find(organisation_id, name)
        return await self._stats(speaker)

    async def _stats(self, speaker: Speaker) -> DatasetStats:
        durations: list[float] = await DatasetSample.filter(  # type: ignore[assignment]  # flat rows typed as tuples
            speaker_id=speaker.id
        ).values_list("duration_seconds", flat=True)
        total = round(sum(durations), 1)
        return DatasetStats(speaker.name, len(durations), total, dataset_status(len(durations), total))

    async def add_sample(
        self, organisation_id: str, name: str, *, transcript: object, filename: str, audio: bytes | None
    ) -> DatasetSample:
        speaker = await self._find(organisation_id, name)
        transcript = check.text("transcript", transcript, max_length=TRANSCRIPT_MAX)
        if audio is None:
            raise Invalid("audio is required")
        info = await _audio("audio", audio, SAMPLE_MAX_BYTES, SAMPLE_SECONDS)
        sample_id = new_id("smp")
        key = f"speakers/{organisation_id}/{speaker.id}/samples/{sample_id}.{info.format}"
        await self._blobs.put(key, audio)
        try:
            return await DatasetSample.create(
                id=sample_id,
                speaker_id=speaker.id,
                blob_key=key,
                audio_format=info.format,
                duration_seconds=info.duration_seconds,
                transcript=transcript,
            )
        except BaseException:
            await self._blobs.delete(key)
            raise

    async def clear_dataset(self, organisation_id: str, name: str) -> DatasetStats:
        speaker = await self._find(organisation_id, name)
        keys: list[str] = await DatasetSample.filter(  # type: ignore[assignment]  # flat rows typed as tuples
            speaker_id=speaker.id
        ).values_list("blob_key", flat=True)
        await DatasetSample.filter(speaker_id=speaker.id).delete()
        for key in keys:
            await self._blobs.delete(key)
        return await self._stats(speaker)

    async def deploy(self, organisation_id: str, name: str) -> Speaker:
        """Asks the voice server to build the voice from the reference and the dataset, then publishes it.

        The catalog entry is usable at once (zero-shot from the reference); the build job, tracked in
        training_status, fine-tunes it when the dataset has samples.
        """
        speaker = await self._find(organisation_id, name)
        if speaker.deployed:
            return speaker
        samples = await DatasetSample.filter(speaker_id=speaker.id).order_by("created_at", "id")
        uploads = [
            SampleUpload(
                s.id,
                s.transcript,
                f"{s.id}.{s.audio_format}",
                CONTENT_TYPES[s.audio_format],
                await _read(self._blobs.open(s.blob_key)),
            )
            for s in samples
        ]
        job = await self._cloner.build(speaker.id, speaker.language, uploads)
        speaker.deployed = True
        speaker.voice_sample_uuid = custom_voice_uuid(organisation_id, speaker.name, speaker.language)
        speaker.voice_model = self._cloner.model
        speaker.training_job_id, speaker.training_status, speaker.training_error = (
            job.job_id,
            job.status.value,
            job.error,
        )
        await speaker.save()
        return speaker

    async def undeploy(self, organisation_id: str, name: str) -> Speaker:
        """Leaves the catalog; agents and flows that already speak with it keep their voice_config."""
        speaker = await self._find(organisation_id, name)
        if speaker.deployed:
            speaker.deployed = False
            await speaker.save(update_fields=["deployed", "updated_at"])
        return speaker


async def _read(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])
