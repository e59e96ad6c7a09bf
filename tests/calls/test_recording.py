"""GET /calls/{uuid}/recording?token=: platform recordings from blob storage, provider recordings proxied,
Range requests, 404 when none or opted out."""

from __future__ import annotations

import pytest_asyncio
from aiohttp import web

from app.calls.contract import CallEnd
from tests.calls.conftest import now, start_call
from tests.conftest import API, free_port

AUDIO = bytes(range(256)) * 400  # 102,400 bytes


async def recorded_call(platform, organisation_id, **end):
    call_id = await start_call(platform, organisation_id, recording_opt_out=end.pop("opt_out", False))
    await platform.reporter.ended(call_id, CallEnd(outcome="connected", ended_at=now(), duration_seconds=3, **end))
    return call_id


async def fetch(client, call_id, token=None, headers=None):
    url = client.server.url(f"{API}/calls/{call_id}/recording")
    async with client.http.get(url, params={"token": token or client.token}, headers=headers or {}) as answer:
        return answer.status, await answer.read(), answer.headers


async def test_a_platform_recording_streams_whole_and_by_range(client, platform):
    key = f"recordings/{client.organisation_id}/call.wav"
    await platform.blob_store.put(key, AUDIO)
    call_id = await recorded_call(platform, client.organisation_id, recording_path=key)
    status, body, headers = await fetch(client, call_id)
    assert (status, body, headers["Content-Type"], headers["Accept-Ranges"]) == (200, AUDIO, "audio/x-wav", "bytes")
    status, body, headers = await fetch(client, call_id, headers={"Range": "bytes=100-199"})
    assert (status, body, headers["Content-Range"]) == (206, AUDIO[100:200], f"bytes 100-199/{len(AUDIO)}")
    status, body, _ = await fetch(client, call_id, headers={"Range": "bytes=-10"})
    assert (status, body) == (206, AUDIO[-10:])
    status, _, headers = await fetch(client, call_id, headers={"Range": f"bytes={len(AUDIO)}-"})
    assert (status, headers["Content-Range"]) == (416, f"bytes */{len(AUDIO)}")
    listed = await client.get(f"/calls/{call_id}")
    assert listed.body["recording_url"].endswith(f"/api/voice/calls/{call_id}/recording")


async def test_no_recording_opted_out_other_org_and_bad_token(client, other_client, platform):
    key = f"recordings/{client.organisation_id}/opted.wav"
    await platform.blob_store.put(key, AUDIO)
    none = await recorded_call(platform, client.organisation_id)
    opted_out = await recorded_call(platform, client.organisation_id, recording_path=key, opt_out=True)
    missing_blob = await recorded_call(platform, client.organisation_id, recording_path="recordings/gone.wav")
    for call_id in (none, opted_out, missing_blob):
        status, body, _ = await fetch(client, call_id)
        assert (status, body) == (404, b'{"detail":"Recording not found"}')
    assert (await client.get(f"/calls/{opted_out}")).body["recording_url"] is None
    theirs = await recorded_call(platform, other_client.organisation_id, recording_path=key)
    status, body, _ = await fetch(client, theirs)
    assert (status, body) == (404, b'{"detail":"Call not found"}')
    status, _, _ = await fetch(client, none, token="nn_k_wrong")
    assert status == 401


@pytest_asyncio.fixture
async def provider(tmp_path):
    """A telephony provider's recording store (aiohttp serves files with Range support)."""
    path = tmp_path / "rec.mp3"
    path.write_bytes(AUDIO)

    async def serve(request):
        if request.match_info["name"] != "rec.mp3":
            return web.Response(status=404)
        return web.FileResponse(path)

    app = web.Application()
    app.router.add_get("/recordings/{name}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/recordings"
    await runner.cleanup()


async def test_a_provider_recording_is_proxied_with_ranges(client, platform, provider):
    call_id = await recorded_call(platform, client.organisation_id, recording_url=f"{provider}/rec.mp3")
    status, body, headers = await fetch(client, call_id)
    assert (status, body, headers["Content-Length"]) == (200, AUDIO, str(len(AUDIO)))
    status, body, headers = await fetch(client, call_id, headers={"Range": "bytes=10-19"})
    assert (status, body, headers["Content-Range"]) == (206, AUDIO[10:20], f"bytes 10-19/{len(AUDIO)}")
    gone = await recorded_call(platform, client.organisation_id, recording_url=f"{provider}/other.mp3")
    status, body, _ = await fetch(client, gone)
    assert (status, body) == (404, b'{"detail":"Recording not found"}')
