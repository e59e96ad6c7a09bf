"""A call's recording survives the process dying mid-call: the spool it leaves under the data directory is
stored at the next start as the call's recording (same blob key as the session's) or, when there is nothing
to keep, removed; spools of calls that may still be running are never touched."""

from __future__ import annotations

import asyncio
import io
import os
import time
import wave
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.blobs import LocalBlobStore
from app.calls.contract import CallEnd, CallStart, CallType
from app.calls.live import MemoryLiveRegistry
from app.db.models import Call as CallRow
from app.voice.recording import StereoRecorder
from app.voice.session_recording import recording_key
from app.voice.spool_recovery import SpoolFate, SpoolRecovery
from tests.voice.harness import RATE, Call

HOUR = 3600.0


async def started_call(platform, organisation_id: str, **changes) -> str:
    """A call row as the platform's reporter writes it when a session starts (and the call is live)."""
    start = dict(
        organisation_id=organisation_id,
        call_type=CallType.INBOUND,
        flow_id=None,
        voice_agent_id=None,
        customer_id=None,
        from_number="+919800000001",
        to_number="+918000000000",
        started_at=datetime.now(UTC),
        voice_heard=False,
    )
    return await platform.reporter.started(CallStart(**{**start, **changes}))


async def end_call(platform, call_id: str) -> None:
    """The carrier's status callback ends the call the crashed process never finished."""
    await platform.reporter.ended(
        call_id,
        CallEnd(outcome="connected", ended_at=datetime.now(UTC), duration_seconds=12, end_reason="caller_hangup"),
    )


async def spool_of(spool: Path, call_id: str, caller: bytes, agent: bytes, rate: int = 8000) -> list[Path]:
    """What a session had written when the process died: each side's samples, flushed to its raw file."""
    recorder = await StereoRecorder.open(spool, rate, 0.0, call_id=call_id)
    recorder.caller(caller, len(caller) / 2 / rate)
    if agent:
        recorder.agent(agent, 0.0)
    await recorder.close()
    return list(recorder.paths)


async def row_of(call_id: str) -> dict:
    return await CallRow.filter(id=call_id).first().values("recording_path", "ended_at")


def age(paths, seconds: float) -> None:
    for path in paths:
        then = time.time() - seconds
        os.utime(path, (then, then))


def files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file())


async def wav_of(store: LocalBlobStore, key: str) -> tuple[wave.Wave_read, np.ndarray]:
    body = b"".join([chunk async for chunk in store.open(key)])
    wav = wave.open(io.BytesIO(body))
    return wav, np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)


def tone(seconds: float, rate: int = 8000, amplitude: int = 3000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


async def test_a_spool_left_by_a_crash_becomes_the_calls_recording_at_the_next_start(tmp_path, client, server):
    platform = server.platform
    spool = tmp_path / "spool"
    call_id = await started_call(platform, client.organisation_id)
    session = await Call.make(
        recordings=LocalBlobStore(tmp_path / "unused"),
        spool=spool,
        organisation_id=client.organisation_id,
        call_id=call_id,
    ).start()
    await session.agent_quiet()
    await session.say("Do you deliver to Mumbai?")
    await session.silence(4000)  # enough for both sides to reach the disk
    caller_track = next(path for path in files(spool) if path.name.endswith(".caller.raw"))
    for _ in range(200):
        if caller_track.stat().st_size >= 64 * 1024:
            break
        await asyncio.sleep(0.01)
    for task in list(session.session.tasks):  # the process dies: no teardown, nothing stored
        task.cancel()
    await asyncio.gather(*session.session.tasks, return_exceptions=True)
    assert [path.name.split(".")[0] for path in files(spool)] == [call_id, call_id]  # named by the call
    await end_call(platform, call_id)
    age(files(spool), HOUR)

    report = await SpoolRecovery(spool, platform.blob_store, MemoryLiveRegistry()).sweep()

    assert list(report.fates.values()) == [SpoolFate.STORED]
    key = recording_key(client.organisation_id, call_id)
    assert (await row_of(call_id))["recording_path"] == key
    wav, samples = await wav_of(platform.blob_store, key)
    assert (wav.getnchannels(), wav.getframerate()) == (2, RATE)
    assert np.abs(samples[:RATE, 1].astype(float)).mean() > 500  # the agent's greeting, on the right
    assert np.abs(samples[:, 0]).max() > 1000  # the caller's question, on the left
    assert files(spool) == []
    async with client.http.get(
        client.server.url(f"/api/voice/calls/{call_id}/recording"), params={"token": client.token}
    ) as served:  # and the API serves it
        assert served.status == 200 and (await served.read()).startswith(b"RIFF")


async def test_an_open_call_no_instance_runs_any_more_is_recovered_too(tmp_path, client, server):
    platform = server.platform
    call_id = await started_call(platform, client.organisation_id)
    spool = tmp_path / "spool"
    paths = await spool_of(spool, call_id, tone(2.0), tone(1.0))
    with open(paths[0], "ab") as cut:  # the crash cut the last caller sample in half
        cut.write(b"\x01")
    age(paths, HOUR)
    restarted = MemoryLiveRegistry()  # a new process: nothing is live in it

    report = await SpoolRecovery(spool, LocalBlobStore(tmp_path / "blobs"), restarted).sweep()

    assert list(report.fates.values()) == [SpoolFate.STORED]
    row = await row_of(call_id)
    assert row["recording_path"] == recording_key(client.organisation_id, call_id) and row["ended_at"] is None
    wav, samples = await wav_of(LocalBlobStore(tmp_path / "blobs"), row["recording_path"])
    assert wav.getframerate() == 8000 and len(samples) == 16000  # the longer side; the half sample dropped
    assert np.abs(samples[8000:, 1]).max() == 0  # the agent side ends after one second
    assert files(spool) == []


async def test_spools_that_may_belong_to_running_calls_are_left_alone(tmp_path, client, server):
    platform = server.platform
    spool = tmp_path / "spool"
    fresh_id = await started_call(platform, client.organisation_id)
    await end_call(platform, fresh_id)
    fresh = await spool_of(spool, fresh_id, tone(0.5), tone(0.5))  # written a moment ago
    live_id = await started_call(platform, client.organisation_id)  # live in the registry
    live = await spool_of(spool, live_id, tone(0.5), tone(0.5))
    age(live, HOUR)

    report = await SpoolRecovery(spool, LocalBlobStore(tmp_path / "blobs"), platform.live).sweep()

    assert sorted(report.fates.values()) == [SpoolFate.KEPT, SpoolFate.KEPT]
    assert files(spool) == sorted([*fresh, *live])
    assert (await row_of(fresh_id))["recording_path"] is None
    assert (await row_of(live_id))["recording_path"] is None
    assert files(tmp_path / "blobs") == []


async def test_spools_with_nothing_to_keep_are_removed_and_other_files_are_not_touched(tmp_path, client, server):
    platform = server.platform
    store = LocalBlobStore(tmp_path / "blobs")
    spool = tmp_path / "spool"
    opted_out = await started_call(platform, client.organisation_id, recording_opt_out=True)
    recorded = await started_call(platform, client.organisation_id)
    await platform.reporter.ended(
        recorded,
        CallEnd(
            outcome="connected",
            ended_at=datetime.now(UTC),
            duration_seconds=5,
            recording_path=recording_key(client.organisation_id, recorded),
        ),
    )
    await store.put(recording_key(client.organisation_id, recorded), b"the session's own recording")
    half_deleted = await started_call(platform, client.organisation_id)
    silent = await started_call(platform, client.organisation_id)
    for call_id in (opted_out, recorded):
        await end_call(platform, call_id)
    spools = [
        *await spool_of(spool, "cal_nosuchcall000", tone(0.5), tone(0.5)),
        *await spool_of(spool, opted_out, tone(0.5), tone(0.5)),
        *await spool_of(spool, recorded, tone(0.5), tone(0.5)),
        *await spool_of(spool, silent, b"", b""),
    ]
    caller_only, agent_side = await spool_of(spool, half_deleted, tone(0.5), tone(0.5))
    agent_side.unlink()
    stranger = spool / "notes.txt"
    stranger.write_text("not a spool")
    age([*spools, caller_only, stranger], HOUR)

    report = await SpoolRecovery(spool, store, MemoryLiveRegistry()).sweep()

    assert list(report.fates.values()) == [SpoolFate.REMOVED] * 5
    assert files(spool) == [stranger]
    assert [chunk async for chunk in store.open(recording_key(client.organisation_id, recorded))] == [
        b"the session's own recording"
    ]  # never overwritten
    assert files(tmp_path / "blobs") == [tmp_path / "blobs" / recording_key(client.organisation_id, recorded)]
    for call_id in (opted_out, half_deleted, silent):
        assert (await row_of(call_id))["recording_path"] is None


class UnreachableStore(LocalBlobStore):
    async def put(self, key, data) -> int:
        async for _ in data:
            raise OSError("object store unreachable")
        raise OSError("object store unreachable")


async def test_a_failed_upload_keeps_the_spool_for_the_next_sweep(tmp_path, client, server):
    platform = server.platform
    call_id = await started_call(platform, client.organisation_id)
    await end_call(platform, call_id)
    spool = tmp_path / "spool"
    paths = await spool_of(spool, call_id, tone(0.5), tone(0.5))
    age(paths, HOUR)

    down = await SpoolRecovery(spool, UnreachableStore(tmp_path / "blobs"), platform.live).sweep()
    assert list(down.fates.values()) == [SpoolFate.KEPT] and files(spool) == sorted(paths)
    assert (await row_of(call_id))["recording_path"] is None

    up = await SpoolRecovery(spool, LocalBlobStore(tmp_path / "blobs"), platform.live).sweep()
    assert list(up.fates.values()) == [SpoolFate.STORED] and files(spool) == []


async def test_the_platform_spools_under_its_data_directory_and_sweeps_at_start_up(
    tmp_path, client, server, start_server
):
    assert server.settings.recording_spool_root() == server.settings.data_dir / "spool" / "recordings"
    spool = tmp_path / "spool"
    call_id = await started_call(server.platform, client.organisation_id)
    await end_call(server.platform, call_id)
    age(await spool_of(spool, call_id, tone(0.5), tone(0.5)), HOUR)

    restarted = await start_server(recording_spool_dir=spool)

    for _ in range(100):
        if not files(spool):
            break
        await asyncio.sleep(0.05)
    assert files(spool) == []
    key = recording_key(client.organisation_id, call_id)
    assert (await row_of(call_id))["recording_path"] == key
    assert await restarted.platform.blob_store.size(key) > 44
