"""The NextNeural voice server, which does the cloning: a small interface, its HTTP client, and the
offline stand-in used when no server is configured. The wire protocol is ours: docs/custom-voices.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import aiohttp

from app.errors import Unavailable


class JobStatus(str, Enum):
    NONE = "none"  # never deployed
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    LOCAL = "local"  # no voice server: the offline local TTS speaks for the speaker

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True)
class Job:
    job_id: str | None
    status: JobStatus
    error: str | None = None


@dataclass(frozen=True)
class SampleUpload:
    sample_id: str
    transcript: str
    filename: str
    content_type: str
    data: bytes


class VoiceCloner(Protocol):
    """What the speaker service needs from a voice server; `model` is the catalog model it voices."""

    model: str

    async def create_speaker(
        self, speaker_id: str, language: str, filename: str, content_type: str, audio: bytes
    ) -> None: ...

    async def build(self, speaker_id: str, language: str, samples: Sequence[SampleUpload]) -> Job: ...

    async def job(self, job_id: str) -> Job: ...

    async def delete_speaker(self, speaker_id: str) -> None: ...

    async def aclose(self) -> None: ...


class LocalCloner:
    """No voice server: nothing to send, and every build finishes at once with the local TTS."""

    model = "espeak-ng"

    async def create_speaker(
        self, speaker_id: str, language: str, filename: str, content_type: str, audio: bytes
    ) -> None:
        return None

    async def build(self, speaker_id: str, language: str, samples: Sequence[SampleUpload]) -> Job:
        return Job(None, JobStatus.LOCAL)

    async def job(self, job_id: str) -> Job:
        return Job(job_id, JobStatus.LOCAL)

    async def delete_speaker(self, speaker_id: str) -> None:
        return None

    async def aclose(self) -> None:
        return None


class NextNeuralClient:
    """HTTP client of the voice server; any transport failure or 5xx becomes Unavailable (503)."""

    model = "nextneural-clone"

    def __init__(self, base_url: str, *, timeout_seconds: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _call(self, method: str, path: str, *, ok_missing: bool = False, **options: Any) -> Any:
        try:
            async with self._http().request(method, self.base_url + path, **options) as answer:
                text = await answer.text()
                if ok_missing and answer.status == 404:
                    return None
                if answer.status >= 400:
                    raise Unavailable(f"nextneural voice server answered {answer.status} to {method} {path}")
                return json.loads(text) if text else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise Unavailable(f"nextneural voice server is not answering: {error.__class__.__name__}") from None

    async def create_speaker(
        self, speaker_id: str, language: str, filename: str, content_type: str, audio: bytes
    ) -> None:
        form = aiohttp.FormData()
        form.add_field("speaker_id", speaker_id)
        form.add_field("language", language)
        form.add_field("reference_audio", audio, filename=filename, content_type=content_type)
        await self._call("POST", "/v1/speakers", data=form)

    async def build(self, speaker_id: str, language: str, samples: Sequence[SampleUpload]) -> Job:
        for sample in samples:  # PUT is idempotent: a retried deploy re-sends without duplicates
            form = aiohttp.FormData()
            form.add_field("transcript", sample.transcript)
            form.add_field("audio", sample.data, filename=sample.filename, content_type=sample.content_type)
            await self._call("PUT", f"/v1/speakers/{speaker_id}/samples/{sample.sample_id}", data=form)
        answer = await self._call(
            "POST",
            f"/v1/speakers/{speaker_id}/builds",
            json={"language": language, "sample_ids": [s.sample_id for s in samples]},
        )
        return _job(answer)

    async def job(self, job_id: str) -> Job:
        return _job(await self._call("GET", f"/v1/jobs/{job_id}"))

    async def delete_speaker(self, speaker_id: str) -> None:
        await self._call("DELETE", f"/v1/speakers/{speaker_id}", ok_missing=True)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def _job(answer: Any) -> Job:
    try:
        return Job(str(answer["job_id"]), JobStatus(answer["status"]), answer.get("error"))
    except (KeyError, TypeError, ValueError):
        raise Unavailable("nextneural voice server sent a job without a known job_id and status") from None


def cloner_for(base_url: str | None) -> VoiceCloner:
    return NextNeuralClient(base_url) if base_url else LocalCloner()


# --- synthesis (the voice pipeline speaks deployed speakers through the server) -------------------------

SYNTHESIS_RATES = (8000, 16000, 22050, 24000)


async def server_speaker_id(organisation_id: str, name: str) -> str | None:
    """The voice server's id (`spk_…`) of the organisation's speaker `name` when it is deployed there (built
    by `NextNeuralClient`, not the local stand-in); None means the local TTS speaks for it."""
    from app.db.models import Speaker

    row = (
        await Speaker.filter(
            organisation_id=organisation_id,
            name=name.strip().lower(),
            deployed=True,
            voice_model=NextNeuralClient.model,
        )
        .exclude(training_status=JobStatus.FAILED.value)
        .first()
        .values("id")
    )
    return row["id"] if row else None
