"""`/ws/exotel` authentication: once Exotel is connected, the handshake must carry
`Authorization: Basic base64(KEY:TOKEN)` of a connected account (Exotel sends it for a
`wss://KEY:TOKEN@host/...` applet URL), else the socket closes with 1008 before anything is created;
`VOICEAI_EXOTEL_SOCKET_AUTH=none` leaves it to IP allow-listing."""

from __future__ import annotations

import asyncio
import base64
import secrets

import aiohttp
import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from app.config import Settings
from app.integrations.service import IntegrationService
from app.voice.providers.base import Providers
from app.voice.providers.scripted_llm import ScriptedPolicy
from app.voice.routes import voice_routes
from app.voice.runtime import VoiceRuntime
from app.voice.transports.exotel_auth import (
    OPEN,
    REFUSED,
    BasicSocketAuth,
    IntegrationCredentials,
    SocketCredential,
    basic_credentials,
    socket_auth_for,
)
from tests.conftest import free_port
from tests.voice.conftest import create_flow
from tests.voice.exotel_client import ExotelCaller
from tests.voice.fakes import RecordingReporter, ScriptedSTT, ToneTTS


@pytest_asyncio.fixture(scope="module")
async def guarded(server):
    """The voice routes with the platform's socket check (`socket_auth_for`) and instant fake providers."""
    reporters: list[RecordingReporter] = []

    def reporter_factory() -> RecordingReporter:
        reporters.append(RecordingReporter())
        return reporters[-1]

    def providers(context) -> Providers:
        return Providers(stt=ScriptedSTT(), tts=ToneTTS(), llm=ScriptedPolicy(context.script))

    runtime = VoiceRuntime(
        reporter_factory, providers=providers, start_timeout=3, exotel_auth=socket_auth_for(server.platform.voice)
    )
    app = Starlette(routes=[Mount("/api/voice", routes=voice_routes(server.platform.voice, reporter_factory, runtime))])
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        await asyncio.sleep(0.01)
    yield f"ws://127.0.0.1:{port}/api/voice/ws/exotel", reporters
    uv.should_exit = True
    await task


async def call(http, url: str, flow: dict, auth: aiohttp.BasicAuth | None, account_sid: str) -> ExotelCaller:
    caller = await ExotelCaller.connect(http, url, auth=auth)
    await caller.start(to=flow["phone_number"], account_sid=account_sid)
    await asyncio.wait_for(caller.wait_for(lambda: caller.events("media") or caller.closed.is_set()), 10)
    return caller


async def test_the_connected_accounts_credentials_open_the_stream(http, client, guarded, exotel):
    url, reporters = guarded
    flow = await create_flow(client)
    caller = await call(http, url, flow, aiohttp.BasicAuth(exotel.api_key, exotel.api_token), exotel.account_sid)
    assert caller.events("media") and not caller.closed.is_set()
    assert reporters[-1].starts[0].flow_id == flow["uuid"]
    await caller.close()


@pytest.mark.parametrize("presented", ["wrong token", "missing", "not basic"])
async def test_wrong_or_missing_credentials_close_with_1008_and_nothing_is_created(
    http, client, guarded, exotel, presented
):
    url, reporters = guarded
    flow = await create_flow(client)
    before = len(reporters)
    if presented == "not basic":
        ws = await http.ws_connect(url, headers={"Authorization": f"Bearer {exotel.api_token}"})
        caller = ExotelCaller(ws)
        await caller.start(to=flow["phone_number"], account_sid=exotel.account_sid)
        await asyncio.wait_for(caller.closed.wait(), 10)
    else:
        auth = aiohttp.BasicAuth(exotel.api_key, exotel.api_token + "x") if presented == "wrong token" else None
        caller = await call(http, url, flow, auth, exotel.account_sid)
    assert caller.closed.is_set() and caller.close_code == 1008
    assert caller.received == [] and len(reporters) == before
    await caller.close()


async def test_one_accounts_credentials_cannot_open_another_accounts_stream(http, client, guarded, exotel):
    url, reporters = guarded
    flow = await create_flow(client)
    before = len(reporters)
    caller = await call(http, url, flow, aiohttp.BasicAuth(exotel.api_key, exotel.api_token), "acct_someone_else")
    assert caller.close_code == 1008 and caller.received == [] and len(reporters) == before
    await caller.close()


async def test_the_simulated_carrier_presents_its_own_credentials(http, client, server, guarded, exotel):
    url, _ = guarded
    flow = await create_flow(client)
    sid = server.platform.simulator_account_sid
    caller = await call(http, url, flow, aiohttp.BasicAuth("simulator", sid), sid)
    assert caller.events("media") and not caller.closed.is_set()
    await caller.close()
    forged = await call(http, url, flow, aiohttp.BasicAuth("simulator", "SIM" + "0" * 29), "SIM" + "0" * 29)
    assert forged.close_code == 1008
    await forged.close()


async def test_with_ip_allow_listing_the_socket_takes_no_credentials(http, client, start_server, exotel):
    allow_listed = await start_server(exotel_socket_auth="none")
    flow = await create_flow(client)
    url = allow_listed.ws_url("/api/voice/ws/exotel")
    caller = await call(http, url, flow, None, exotel.account_sid)
    assert caller.events("media") and not caller.closed.is_set()
    await caller.close()


def test_the_mode_is_a_setting():
    assert Settings.from_env({}).exotel_socket_auth == "basic"
    assert Settings.from_env({"VOICEAI_EXOTEL_SOCKET_AUTH": "None"}).exotel_socket_auth == "none"
    with pytest.raises(ValueError, match="VOICEAI_EXOTEL_SOCKET_AUTH must be one of basic, none"):
        Settings.from_env({"VOICEAI_EXOTEL_SOCKET_AUTH": "ip"})


class Accounts:
    """A credential source with a fixed list: the `CredentialSource` protocol, nothing else."""

    def __init__(self, *credentials: SocketCredential) -> None:
        self.credentials = list(credentials)

    async def exotel_credentials(self) -> list[SocketCredential]:
        return self.credentials


def basic(key: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{token}".encode()).decode()


async def test_before_any_exotel_account_is_connected_only_a_wrong_header_is_refused():
    auth = BasicSocketAuth(Accounts())
    assert await auth.check(None) == OPEN
    assert await auth.check(basic("k", "t")) == REFUSED


async def test_credentials_name_every_account_they_belong_to():
    shared = [SocketCredential("key", "token:with:colons", sid) for sid in ("acct_a", "acct_b")]
    auth = BasicSocketAuth(Accounts(*shared, SocketCredential("key2", "other", "acct_c")))
    access = await auth.check(basic("key", "token:with:colons"))
    assert access.allowed and access.account_sids == {"acct_a", "acct_b"}
    assert access.admits("acct_b") and not access.admits("acct_c") and not access.admits(None)
    assert await auth.check(None) == REFUSED
    assert await auth.check(basic("key", "token")) == REFUSED


def test_the_header_is_parsed_strictly():
    assert basic_credentials(basic("k", "a:b")) == ("k", "a:b")
    assert basic_credentials("basic " + base64.b64encode(b"k:t").decode()) == ("k", "t")
    for header in (None, "", "Basic", "Basic !!!", "Bearer abc", "Basic " + base64.b64encode(b"no-colon").decode()):
        assert basic_credentials(header) is None


class CountingIntegrations(IntegrationService):
    """The real integrations service, counting how often an account is read and decrypted."""

    def __init__(self, secret_key: str) -> None:
        super().__init__(secret_key)
        self.reads = 0

    async def exotel_account(self, organisation_id: str):
        self.reads += 1
        return await super().exotel_account(organisation_id)


class StepClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_connected_accounts_are_read_once_per_few_seconds_not_on_every_handshake(client, server, exotel):
    integrations = CountingIntegrations(server.settings.resolved_secret_key())
    clock = StepClock()
    auth = BasicSocketAuth(IntegrationCredentials(integrations, ttl_seconds=5, clock=clock))

    assert (await auth.check(basic(exotel.api_key, exotel.api_token))).admits(exotel.account_sid)
    read_once = integrations.reads
    assert read_once >= 1
    clock.now += 4.9
    assert (await auth.check(basic(exotel.api_key, exotel.api_token))).admits(exotel.account_sid)
    assert await auth.check(basic(exotel.api_key, "wrong")) == REFUSED
    assert integrations.reads == read_once  # within the TTL: no query, no decryption

    clock.now += 0.2
    assert (await auth.check(basic(exotel.api_key, exotel.api_token))).allowed
    assert integrations.reads > read_once  # expired: read again


async def test_an_account_connected_or_disconnected_in_this_process_counts_at_once(client, server, exotel):
    integrations = CountingIntegrations(server.settings.resolved_secret_key())
    auth = BasicSocketAuth(IntegrationCredentials(integrations, ttl_seconds=3600))
    newcomer = SocketCredential(
        "exo_key_" + secrets.token_hex(4), "exo_tok_" + secrets.token_hex(8), "acct_" + secrets.token_hex(4)
    )
    assert await auth.check(basic(newcomer.api_key, newcomer.api_token)) == REFUSED  # cached for an hour

    await integrations.connect_exotel(
        client.organisation_id,
        {
            "api_key": newcomer.api_key,
            "api_token": newcomer.api_token,
            "account_sid": newcomer.account_sid,
            "subdomain": "api.exotel.com",
            "phone_number": "+918047112345",
        },
    )
    access = await auth.check(basic(newcomer.api_key, newcomer.api_token))
    assert access.allowed and access.admits(newcomer.account_sid)
    assert await auth.check(basic(exotel.api_key, exotel.api_token)) == REFUSED  # the key it replaced

    await integrations.disconnect(client.organisation_id, "exotel")
    assert await auth.check(basic(newcomer.api_key, newcomer.api_token)) == REFUSED
