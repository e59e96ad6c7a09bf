"""The operator interface: voiceai migrate, org create, apikey create/revoke, serve."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aiohttp

from tests.conftest import free_port


async def voiceai(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "VOICEAI_DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_org_and_key_lifecycle(database_url, tmp_path):
    code, out, _ = await voiceai(database_url, "migrate")
    assert code == 0 and json.loads(out) == {"status": "migrated"}
    code, out, _ = await voiceai(database_url, "org", "create", "Luminary Home")
    created = json.loads(out)
    assert code == 0 and set(created) == {"organisation_uuid", "api_key"}
    assert created["organisation_uuid"].startswith("org_") and created["api_key"].startswith("nn_k_")
    code, out, _ = await voiceai(
        database_url, "apikey", "create", "--org", created["organisation_uuid"], "--name", "ci"
    )
    second = json.loads(out)
    assert code == 0 and second["api_key"].startswith(second["prefix"])
    code, out, _ = await voiceai(database_url, "apikey", "revoke", second["prefix"])
    assert code == 0 and json.loads(out) == {"prefix": second["prefix"], "revoked": True}
    code, _, err = await voiceai(database_url, "apikey", "revoke", "nn_k_nothere")
    assert code == 1 and json.loads(err) == {"detail": "API key not found"}
    code, _, err = await voiceai(database_url, "apikey", "create", "--org", "org_000000000000")
    assert code == 1 and json.loads(err) == {"detail": "Organisation not found"}


async def test_serve_runs_the_api_on_a_fresh_sqlite_file(tmp_path):
    database_url = f"sqlite://{tmp_path}/fresh.db"
    _code, out, _ = await voiceai(database_url, "org", "create", "Fresh")
    key = json.loads(out)["api_key"]
    port = free_port()
    env = {**os.environ, "VOICEAI_DATABASE_URL": database_url, "VOICEAI_DATA_DIR": str(tmp_path)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                        if answer.status == 200:
                            assert await answer.json() == {"status": "ok"}
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("voiceai serve did not become healthy")
            async with http.get(
                f"http://127.0.0.1:{port}/api/voice/agents", headers={"Authorization": f"Bearer {key}"}
            ) as answer:
                assert answer.status == 200 and await answer.json() == []
    finally:
        process.terminate()
        await process.wait()


def test_serve_knows_where_it_listens_and_whether_the_public_url_is_itself():
    from app.listen_address import ListenAddress

    assert ListenAddress("0.0.0.0", 8766).url == "http://127.0.0.1:8766"
    assert ListenAddress("::", 8766).url == "http://[::1]:8766"
    wildcard = ListenAddress("0.0.0.0", 8766)
    assert "listens on 8766" in wildcard.public_url_mismatch("http://127.0.0.1:8000")
    assert "listens on 8766" in wildcard.public_url_mismatch("http://localhost")  # port 80
    assert wildcard.public_url_mismatch("http://localhost:8766/") is None
    assert wildcard.public_url_mismatch("https://voice.example.com") is None  # a proxy may front us: no guess
