"""A voice server on a real socket: `voice_routes(...)` mounted in a small Starlette app with fake providers
(scripted STT, tone TTS, the scripted policy) and in-memory reporters, sharing the test database."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from app.blobs import LocalBlobStore
from app.turn_taking.config import TurnTakingConfig, VadKind
from app.voice.providers.base import Providers
from app.voice.providers.scripted_llm import ScriptedPolicy
from app.voice.routes import voice_routes
from app.voice.runtime import VoiceRuntime
from app.voice.session_config import SessionConfig
from app.voice.transports.exotel_auth import SocketCredential
from app.voice.vad import EndpointConfig
from tests.conftest import free_port
from tests.voice.fakes import RecordingReporter, ScriptedSTT, ToneTTS

# tests send only a little silence after a turn: it closes after 300 ms unless it reads as unfinished
QUICK_TURNS = TurnTakingConfig(min_endpoint_ms=200, endpoint_ms=300, vad=VadKind.SILERO)  # not auto: see harness


@dataclass
class VoiceServer:
    base: str
    stt: ScriptedSTT
    reporters: list[RecordingReporter] = field(default_factory=list)

    def ws(self, path: str) -> str:
        return self.base + "/api/voice" + path

    @property
    def reporter(self) -> RecordingReporter:
        return self.reporters[-1]

    async def ended(self, timeout: float = 10) -> RecordingReporter:
        await asyncio.wait_for(self.reporter.ended_event.wait(), timeout)
        return self.reporter


@pytest_asyncio.fixture(scope="session")
async def voice_server_session(server, tmp_path_factory):
    stt = ScriptedSTT()
    state = VoiceServer("", stt)

    def reporter_factory() -> RecordingReporter:
        reporter = RecordingReporter()
        state.reporters.append(reporter)
        return reporter

    def providers(context) -> Providers:
        return Providers(stt=stt, tts=ToneTTS(), llm=ScriptedPolicy(context.script))

    runtime = VoiceRuntime(
        reporter_factory,
        providers=providers,
        start_timeout=3,
        session=SessionConfig(
            endpoint=EndpointConfig(endpoint_ms=300),
            turn_taking=QUICK_TURNS,
            silence_timeout=30,
            recordings=LocalBlobStore(tmp_path_factory.mktemp("recordings")),
            recording_spool=tmp_path_factory.mktemp("spool"),
        ),
    )
    app = Starlette(routes=[Mount("/api/voice", routes=voice_routes(server.platform.voice, reporter_factory, runtime))])
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        await asyncio.sleep(0.01)
    state.base = f"ws://127.0.0.1:{port}"
    yield state
    uv.should_exit = True
    await task


@pytest_asyncio.fixture
async def voice_server(voice_server_session) -> VoiceServer:
    voice_server_session.reporters.clear()
    voice_server_session.stt.queue.clear()
    return voice_server_session


def fresh_line() -> str:
    return f"+9180{secrets.randbelow(10**8):08d}"


async def _post(client, path: str, body: dict[str, Any]):
    """The shared HTTP pool may hold a connection the server just closed for idling (our socket tests keep
    it quiet for seconds): one retry on a reset."""
    try:
        return await client.post(path, json=body)
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError):
        return await client.post(path, json=body)


async def create_flow(client, kind: str = "inbound", **config: Any) -> dict[str, Any]:
    script = await _post(
        client,
        "/scripts",
        {
            "name": "Help line",
            "opening_line": "Hi, Aria here.",
            "faq": [{"question": "Do you deliver to Mumbai?", "answer": "Yes, within five days."}],
            "closing_line": "Thanks, goodbye!",
        },
    )
    assert script.status == 201, script.body
    body = {
        "kind": kind,
        "name": "Help line",
        "provider": "sarvam",
        "status": "active",
        "script_id": script.body["uuid"],
        "config": {"persona_prompt": "You are Aria.", **config},
    }
    if kind == "inbound":
        body["phone_number"] = fresh_line()
    created = await _post(client, "/flows", body)
    assert created.status == 201, created.body
    return created.body


@pytest_asyncio.fixture
async def exotel(client) -> SocketCredential:
    """The organisation connected its Exotel account."""
    account = SocketCredential(
        "exo_key_" + secrets.token_hex(4), "exo_tok_" + secrets.token_hex(8), "acct_" + secrets.token_hex(4)
    )
    answer = await client.put(
        "/integrations/telephony/exotel",
        json={
            "api_key": account.api_key,
            "api_token": account.api_token,
            "account_sid": account.account_sid,
            "subdomain": "api.exotel.com",
            "phone_number": "+918047112345",
        },
    )
    assert answer.status == 200, answer.body
    return account
