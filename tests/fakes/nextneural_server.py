"""A fake NextNeural voice server speaking the protocol of docs/custom-voices.md on a real socket.

It keeps what it was sent (speakers with their reference audio, samples, builds), advances each build
job one step per status poll (queued, running, succeeded), synthesizes for known speakers (100 ms of tone
per word, raw PCM in several chunked writes), and can be told to fail with 500 or to stall synthesis.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from app.voice.audio import tone
from tests.fakes.loopback import serve


@dataclass
class FakeSpeaker:
    language: str
    reference: bytes
    reference_type: str
    samples: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # sample_id -> (transcript, audio)


class FakeNextNeuralServer:
    STEPS = ("queued", "running", "succeeded")

    def __init__(self) -> None:
        self.speakers: dict[str, FakeSpeaker] = {}
        self.builds: dict[str, dict[str, Any]] = {}
        self.fail = False
        self.fail_builds = False
        self.syntheses: list[dict[str, Any]] = []  # {"speaker_id", "text", "language", "sample_rate"}
        self.synthesis_delay = 0.0  # seconds before the first audio byte
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeNextNeuralServer:
        app = web.Application(middlewares=[self._failing])
        app.router.add_post("/v1/speakers", self._create)
        app.router.add_put("/v1/speakers/{speaker_id}/samples/{sample_id}", self._put_sample)
        app.router.add_post("/v1/speakers/{speaker_id}/builds", self._build)
        app.router.add_get("/v1/jobs/{job_id}", self._job)
        app.router.add_delete("/v1/speakers/{speaker_id}", self._delete)
        app.router.add_post("/v1/speakers/{speaker_id}/synthesize", self._synthesize)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _failing(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.fail:
            return web.json_response({"error": "down for maintenance"}, status=500)
        return await handler(request)

    async def _create(self, request: web.Request) -> web.Response:
        form = await request.post()
        audio = form["reference_audio"]
        speaker_id = str(form["speaker_id"])
        self.speakers[speaker_id] = FakeSpeaker(str(form["language"]), audio.file.read(), audio.content_type)
        return web.json_response({"speaker_id": speaker_id, "status": "ready"}, status=201)

    async def _put_sample(self, request: web.Request) -> web.Response:
        speaker = self.speakers.get(request.match_info["speaker_id"])
        if speaker is None:
            return web.json_response({"error": "unknown speaker"}, status=404)
        form = await request.post()
        sample_id = request.match_info["sample_id"]
        speaker.samples[sample_id] = (str(form["transcript"]), form["audio"].file.read())
        return web.json_response({"sample_id": sample_id})

    async def _build(self, request: web.Request) -> web.Response:
        speaker_id = request.match_info["speaker_id"]
        if speaker_id not in self.speakers:
            return web.json_response({"error": "unknown speaker"}, status=404)
        body = await request.json()
        job_id = f"job-{next(self._ids)}"
        self.builds[job_id] = {
            "speaker_id": speaker_id,
            "sample_ids": body["sample_ids"],
            "language": body["language"],
            "step": 0,
        }
        return web.json_response({"job_id": job_id, "status": "queued"}, status=202)

    async def _job(self, request: web.Request) -> web.Response:
        build = self.builds.get(request.match_info["job_id"])
        if build is None:
            return web.json_response({"error": "unknown job"}, status=404)
        build["step"] = min(build["step"] + 1, len(self.STEPS) - 1)
        status = self.STEPS[build["step"]]
        if self.fail_builds and status == "succeeded":
            return web.json_response(
                {"job_id": request.match_info["job_id"], "status": "failed", "error": "not enough clean speech"}
            )
        return web.json_response({"job_id": request.match_info["job_id"], "status": status, "error": None})

    async def _delete(self, request: web.Request) -> web.Response:
        if self.speakers.pop(request.match_info["speaker_id"], None) is None:
            return web.json_response({"error": "unknown speaker"}, status=404)
        return web.Response(status=204)

    async def _synthesize(self, request: web.Request) -> web.StreamResponse:
        speaker_id = request.match_info["speaker_id"]
        body = await request.json()
        self.syntheses.append({"speaker_id": speaker_id, **body})
        if speaker_id not in self.speakers:
            return web.json_response({"error": "speaker not deployed"}, status=404)
        text, rate = body.get("text"), body.get("sample_rate")
        if not isinstance(text, str) or not text.strip() or rate not in (8000, 16000, 22050, 24000):
            return web.json_response({"error": "text and a sample_rate of 8000, 16000, 22050 or 24000"}, status=422)
        if self.synthesis_delay:
            await asyncio.sleep(self.synthesis_delay)
        pcm = tone(rate, 100 * len(text.split()), 220, 5000)
        response = web.StreamResponse(headers={"Content-Type": "audio/pcm", "X-Sample-Rate": str(rate)})
        await response.prepare(request)
        for start in range(0, len(pcm), 999):  # odd sizes: samples must be kept whole across chunks
            await response.write(pcm[start : start + 999])
            await asyncio.sleep(0.001)
        await response.write_eof()
        return response
