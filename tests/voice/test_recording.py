"""Both directions of a call are recorded to a stereo WAV (caller left, agent right), spooled locally while
the call runs and streamed into the blob store at the end; a customer who opted out is not recorded."""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from collections.abc import AsyncIterable
from pathlib import Path

import numpy as np
import pytest

from app.blobs import LocalBlobStore
from app.calls.contract import CallType
from app.voice.context import CustomerView
from tests.voice.harness import RATE, Call


class WatchedStore(LocalBlobStore):
    """A local store that notes how each blob arrived (bytes at once, or chunk by chunk)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.chunk_sizes: list[int] = []

    async def put(self, key: str, data: bytes | AsyncIterable[bytes]) -> int:
        assert not isinstance(data, (bytes, bytearray)), "recordings are streamed, not read whole"

        async def watched():
            async for chunk in data:
                self.chunk_sizes.append(len(chunk))
                yield chunk

        return await super().put(key, watched())


class UnreachableStore(LocalBlobStore):
    """A blob backend that is down: it takes the first chunk, then the upload fails."""

    async def put(self, key: str, data: bytes | AsyncIterable[bytes]) -> int:
        async for _ in data:
            raise OSError("object store unreachable")
        raise OSError("object store unreachable")


async def read_wav(store: LocalBlobStore, key: str) -> tuple[wave.Wave_read, np.ndarray]:
    body = b"".join([chunk async for chunk in store.open(key)])
    wav = wave.open(io.BytesIO(body))
    return wav, np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)


def files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()]


async def a_short_conversation(call: Call) -> None:
    await call.agent_quiet()
    await call.say("Do you deliver to Mumbai?")
    await call.agent_quiet()


async def test_the_call_is_streamed_into_the_blob_store_in_stereo_caller_left_agent_right(tmp_path):
    store, spool = WatchedStore(tmp_path / "blobs"), tmp_path / "spool"
    call = await Call.make(recordings=store, spool=spool).start()
    await a_short_conversation(call)
    end = await call.end()

    assert end.recording_path == f"recordings/org_test/{call.session.call_id}.wav"  # the blob key
    wav, samples = await read_wav(store, end.recording_path)
    assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, RATE)
    assert abs(len(samples) / RATE - call.frames_fed * 0.02) < 0.1
    left, right = samples[:, 0].astype(float), samples[:, 1].astype(float)
    second = slice(0, RATE)  # the greeting: only the agent talks
    assert np.abs(right[second]).mean() > 500 and np.abs(left[second]).mean() < 50
    assert np.abs(left).max() > 1000  # the caller's question is on the left
    assert len(store.chunk_sizes) > 3 and max(store.chunk_sizes) <= RATE * 4  # header + one-second blocks
    assert files(spool) == []  # the spool files are gone


async def test_audio_reaches_the_spool_while_the_call_runs_not_only_at_the_end(tmp_path):
    spool = tmp_path / "spool"
    call = await Call.make(recordings=LocalBlobStore(tmp_path / "blobs"), spool=spool).start()
    await call.silence(4000)  # 4 s of caller audio: 128 KB, more than one flush
    caller_track = next(path for path in files(spool) if path.name.endswith(".caller.raw"))
    for _ in range(200):  # the write runs in a worker thread: give it real time
        if caller_track.stat().st_size >= 64 * 1024:
            break
        await asyncio.sleep(0.01)
    assert caller_track.stat().st_size >= 64 * 1024
    await call.end()


async def test_a_failed_upload_is_logged_and_the_call_ends_without_a_recording(tmp_path, caplog):
    spool = tmp_path / "spool"
    call = await Call.make(recordings=UnreachableStore(tmp_path / "blobs"), spool=spool).start()
    await a_short_conversation(call)
    with caplog.at_level(logging.ERROR, logger="app.voice.recording"):
        end = await call.end()
    assert end.recording_path is None and end.outcome == "connected" and end.end_reason == "caller_hangup"
    assert call.reporter.ends == [(call.session.call_id, end)] and call.reporter.analyses
    assert "object store unreachable" in caplog.text
    assert files(spool) == [] and files(tmp_path / "blobs") == []


@pytest.mark.parametrize("flag", [True, "true", "Yes", " TRUE "])
async def test_a_customer_who_opted_out_is_not_recorded_at_all(tmp_path, flag):
    store, spool = WatchedStore(tmp_path / "blobs"), tmp_path / "spool"
    customer = CustomerView(id="cus_1", metadata={"recording_opt_out": flag, "city": "Pune"})
    call = await Call.make(recordings=store, spool=spool, customer=customer).start()
    await a_short_conversation(call)
    end = await call.end()
    assert call.reporter.starts[0].recording_opt_out is True
    assert end.recording_path is None and store.chunk_sizes == []
    assert files(tmp_path) == []  # no WAV, not even a spool file


@pytest.mark.parametrize("flag", [False, "no", "false", 1, None])
async def test_other_values_do_not_opt_out(tmp_path, flag):
    customer = CustomerView(id="cus_1", metadata={"recording_opt_out": flag})
    call = await Call.make(recordings=LocalBlobStore(tmp_path), customer=customer, call_type=CallType.INBOUND).start()
    await call.agent_quiet()
    end = await call.end()
    assert call.reporter.starts[0].recording_opt_out is False
    assert end.recording_path is not None
