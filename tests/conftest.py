"""Shared fixtures: one migrated database per run (PostgreSQL when VOICEAI_TEST_DATABASE_URL says so,
else a SQLite file), a real uvicorn server on loopback, and a fresh organisation per test.

Organisations isolate tests from each other the way they isolate tenants in production.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import uvicorn

from app.config import Settings
from app.db.setup import close_database, open_database
from app.main import create_app
from app.organisations.service import create_organisation
from app.platform import Platform
from app.ratelimit import unique_prefix
from app.voice.providers.http_session import close_shared_session

API = "/api/voice"
REDIS_URL = os.environ.get("VOICEAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _create_postgres_database(url: str) -> tuple[str, Callable[[], Any]]:
    """A throwaway database next to the one the URL names, dropped at the end of the run."""
    import asyncpg

    base, _, _ = url.rpartition("/")
    name = f"voiceai_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def drop() -> None:
        admin = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    return f"{base}/{name}", drop


@pytest_asyncio.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    configured = os.environ.get("VOICEAI_TEST_DATABASE_URL")
    if configured and configured.startswith(("postgres://", "postgresql://")):
        url, drop = await _create_postgres_database(configured)
        await open_database(url)
        try:
            yield url
        finally:
            await close_database()
            await drop()
        return
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite://{directory}/voiceai-test.db"
        await open_database(url)
        try:
            yield url
        finally:
            await close_database()


@dataclass
class RunningServer:
    base_url: str
    platform: Platform
    settings: Settings

    def url(self, path: str) -> str:
        return self.base_url + path

    def ws_url(self, path: str) -> str:
        return "ws" + self.base_url.removeprefix("http") + path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


@pytest_asyncio.fixture(scope="session")
async def start_server(database_url: str, data_dir: Path):
    """Start extra servers with their own settings (rate limits in Redis, trusted proxies...)."""
    servers: list[tuple[uvicorn.Server, asyncio.Task]] = []

    async def start(rate_limit_prefix: str | None = None, **overrides: Any) -> RunningServer:
        port = free_port()
        settings = Settings(
            database_url=database_url,
            data_dir=data_dir,
            public_url=f"http://127.0.0.1:{port}",
            secret_key="test-secret-key-not-for-production",
        ).with_overrides(**overrides)
        platform = Platform.build(settings, rate_limit_prefix=rate_limit_prefix or unique_prefix())
        app = create_app(settings, platform=platform, manage_database=False)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                lifespan="on",
                proxy_headers=False,
                timeout_keep_alive=120,
            )
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        servers.append((server, task))
        return RunningServer(f"http://127.0.0.1:{port}", platform, settings)

    yield start
    for server, _task in servers:
        server.should_exit = True
    await asyncio.gather(*(task for _, task in servers), return_exceptions=True)


@pytest_asyncio.fixture(scope="session")
async def server(start_server) -> RunningServer:
    return await start_server()


@pytest_asyncio.fixture(autouse=True)
async def _fresh_rate_limits(request) -> None:
    """Each test starts with empty buckets on the shared server."""
    if "server" in request.fixturenames:
        await request.getfixturevalue("server").platform.rate_limiter.reset()


@pytest_asyncio.fixture(scope="session", autouse=True)
async def _providers_http_session() -> AsyncIterator[None]:
    """The providers' pooled session of the test loop, closed when the run ends."""
    yield
    await close_shared_session()


@pytest_asyncio.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class Response:
    status: int
    body: Any
    headers: Any


class Client:
    """An HTTP client of one organisation, speaking to one server."""

    def __init__(
        self, http: aiohttp.ClientSession, server: RunningServer, token: str | None, organisation_id: str | None = None
    ) -> None:
        self.http = http
        self.server = server
        self.token = token
        self.organisation_id = organisation_id

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        async with self.http.request(
            method, self.server.url(API + path), json=json, data=data, params=params, headers=self.headers(headers)
        ) as answer:
            text = await answer.text()
            try:
                body = await answer.json(content_type=None) if text else None
            except ValueError:
                body = text
            return Response(answer.status, body, answer.headers)

    async def get(self, path: str, **options: Any) -> Response:
        return await self.request("GET", path, **options)

    async def post(self, path: str, **options: Any) -> Response:
        return await self.request("POST", path, **options)

    async def patch(self, path: str, **options: Any) -> Response:
        return await self.request("PATCH", path, **options)

    async def put(self, path: str, **options: Any) -> Response:
        return await self.request("PUT", path, **options)

    async def delete(self, path: str, **options: Any) -> Response:
        return await self.request("DELETE", path, **options)

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        async with self.http.post(
            self.server.url(API + "/graphql"),
            json={"query": query, "variables": variables or {}},
            headers=self.headers(),
        ) as answer:
            assert answer.status == 200, await answer.text()
            return await answer.json()


async def new_client(http: aiohttp.ClientSession, server: RunningServer, name: str = "Test Org") -> Client:
    created = await create_organisation(name)
    return Client(http, server, created.api_key, created.organisation.id)


@pytest_asyncio.fixture
async def client(http, server) -> Client:
    return await new_client(http, server, "Luminary Home")


@pytest_asyncio.fixture
async def other_client(http, server) -> Client:
    return await new_client(http, server, "Other Org")


@pytest_asyncio.fixture
async def anonymous(http, server) -> Client:
    return Client(http, server, None)


@pytest.fixture(params=["rest", "graphql"])
def door(request, client):
    """The same behavioural test through the REST shim and through GraphQL."""
    from tests.doors import door_for

    return door_for(request.param, client)
