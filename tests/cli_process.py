"""The `voiceai` command as a new user runs it: real subprocesses, a server started on its own port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.conftest import free_port

# Variables of the developer's shell that would change a default server.
FOREIGN = (
    "VOICEAI_PUBLIC_URL",
    "VOICEAI_ALLOW_HTTP_WEBHOOKS",
    "VOICEAI_ALLOW_PRIVATE_WEBHOOKS",
    "VOICEAI_TELEPHONY",
    "VOICEAI_REDIS_URL",
    "VOICEAI_SECRET_KEY",
)


def environment(directory: Path, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in FOREIGN and not name.startswith(("VOICEAI_LLM_", "VOICEAI_SARVAM_", "VOICEAI_ELEVENLABS_"))
    }
    return {
        **env,
        "VOICEAI_DATABASE_URL": f"sqlite://{directory}/voiceai.db",
        "VOICEAI_DATA_DIR": str(directory),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


async def voiceai(env: dict[str, str], *args: str, timeout: float = 60) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return process.returncode, out.decode(), err.decode()


async def api_key(env: dict[str, str], name: str = "Luminary Home") -> str:
    code, out, err = await voiceai(env, "org", "create", name)
    assert code == 0, err
    return json.loads(out)["api_key"]


@dataclass
class Served:
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.asynccontextmanager
async def serve(env: dict[str, str], directory: Path, port: int | None = None) -> AsyncIterator[Served]:
    """`voiceai serve --port N`, healthy, its stderr in a file; terminated on exit."""
    port = port or free_port()
    log = directory / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cli", "serve", "--port", str(port), env=env, stdout=sink, stderr=sink
        )
    served = Served(f"http://127.0.0.1:{port}", log)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                assert process.returncode is None, served.output()
                try:
                    async with http.get(served.url + "/healthz") as answer:
                        if answer.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("voiceai serve did not become healthy:\n" + served.output())
        yield served
    finally:
        if process.returncode is None:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()
