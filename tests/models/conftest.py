"""Custom-voice fixtures: audio generated in the test, uploads through either door, a fake voice server,
and a look at what was stored (rows and blob files) so rejections can be shown to store nothing."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
import pytest_asyncio
import soundfile

from app.db.models import DatasetSample, Speaker
from app.errors import ERROR_BY_CODE
from tests.conftest import API, Client, Response, new_client
from tests.fakes.nextneural_server import FakeNextNeuralServer


def wav(seconds: float, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of a 220 Hz tone with a little noise, written with the stdlib."""
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.01 * np.random.default_rng(7).standard_normal(t.size)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((signal * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def mp3(seconds: float, rate: int = 16000) -> bytes:
    """An MP3 encoded by libsndfile (LAME), so the decoder is tested on a real MPEG stream."""
    t = np.arange(int(seconds * rate)) / rate
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.3 * np.sin(2 * np.pi * 330 * t), rate, format="MP3")
    return buffer.getvalue()


class Uploads:
    """The two multipart routes through REST (multipart/form-data) or GraphQL (multipart request spec)."""

    def __init__(self, door: str, client: Client) -> None:
        self.door = door
        self.client = client

    async def create_speaker(
        self,
        name: Any = "aria-custom",
        language: Any = "en-US",
        audio: bytes | None = None,
        *,
        filename: str = "reference.wav",
        description: str | None = None,
    ) -> Response:
        audio = wav(12) if audio is None else audio
        if self.door == "rest":
            form = aiohttp.FormData()
            for key, value in (("name", name), ("language", language), ("description", description)):
                if value is not None:
                    form.add_field(key, value)
            form.add_field("reference_audio", audio, filename=filename, content_type="audio/wav")
            return await self.client.post("/models/speakers", data=form)
        query = (
            "mutation($name: String!, $language: String!, $description: String, $audio: Upload!) {"
            " result: createSpeaker(name: $name, language: $language, description: $description,"
            " referenceAudio: $audio) { name language status message } }"
        )
        return await self._graphql(
            query, {"name": name, "language": language, "description": description}, "audio", audio, filename, 201
        )

    async def add_sample(
        self,
        speaker: str,
        audio: bytes | None = None,
        transcript: str | None = "Hello there.",
        *,
        filename: str = "sample.wav",
    ) -> Response:
        audio = wav(6) if audio is None else audio
        if self.door == "rest":
            form = aiohttp.FormData()
            if transcript is not None:
                form.add_field("transcript", transcript)
            form.add_field("audio", audio, filename=filename, content_type="audio/wav")
            return await self.client.post(f"/models/speakers/{speaker}/dataset/sample", data=form)
        query = (
            "mutation($name: String!, $transcript: String, $audio: Upload!) {"
            " result: uploadDatasetSample(name: $name, transcript: $transcript, audio: $audio)"
            " { sample_id: sampleId duration_seconds: durationSeconds transcript } }"
        )
        return await self._graphql(query, {"name": speaker, "transcript": transcript}, "audio", audio, filename, 201)

    async def _graphql(
        self, query: str, variables: dict[str, Any], file_variable: str, audio: bytes, filename: str, status: int
    ) -> Response:
        form = aiohttp.FormData()
        form.add_field("operations", json.dumps({"query": query, "variables": {**variables, file_variable: None}}))
        form.add_field("map", json.dumps({"0": [f"variables.{file_variable}"]}))
        form.add_field("0", audio, filename=filename, content_type="application/octet-stream")
        async with self.client.http.post(
            self.client.server.url(API + "/graphql"), data=form, headers=self.client.headers()
        ) as answer:
            body = await answer.json(content_type=None)
        if answer.status != 200:
            return Response(answer.status, body, answer.headers)
        if body.get("errors"):
            error = body["errors"][0]
            code = error.get("extensions", {}).get("code", "BAD_REQUEST")
            return Response(
                ERROR_BY_CODE[code].status if code in ERROR_BY_CODE else 500, {"detail": error["message"]}, {}
            )
        return Response(status, body["data"]["result"], {})


@pytest.fixture(params=["rest", "graphql"])
def uploads(request, client) -> Uploads:
    return Uploads(request.param, client)


@pytest.fixture
def rest_uploads(client) -> Uploads:
    return Uploads("rest", client)


@pytest_asyncio.fixture
async def speaker(rest_uploads) -> str:
    answer = await rest_uploads.create_speaker("aria-custom", "en-US", wav(12))
    assert answer.status == 201, answer.body
    return "aria-custom"


async def stored(client: Client) -> tuple[int, int, list[str]]:
    """Speaker rows, sample rows and blob files of the client's organisation."""
    org = client.organisation_id
    root: Path = client.server.platform.blob_store.root / "speakers" / org
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return (
        await Speaker.filter(organisation_id=org).count(),
        await DatasetSample.filter(speaker__organisation_id=org).count(),
        files,
    )


@pytest_asyncio.fixture(scope="session")
async def nextneural() -> FakeNextNeuralServer:
    fake = await FakeNextNeuralServer().start()
    yield fake
    await fake.stop()


@pytest_asyncio.fixture(scope="session")
async def cloning_server(start_server, nextneural):
    """A platform configured with the fake NextNeural voice server."""
    return await start_server(nextneural_url=nextneural.url)


@pytest_asyncio.fixture
async def cloning_client(http, cloning_server, nextneural) -> Client:
    nextneural.fail = nextneural.fail_builds = False
    await cloning_server.platform.rate_limiter.reset()
    return await new_client(http, cloning_server, "Cloning Org")
