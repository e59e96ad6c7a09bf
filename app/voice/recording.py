"""Stereo WAV of the call: caller on the left channel, agent on the right, aligned on the call clock.

While the call runs each side is buffered briefly and appended to its own raw spool file by a worker thread
(one write in flight per side, so order is kept and the event loop never waits on the disk; memory stays
flat on long calls). At the end `chunks()` streams the WAV (header, then interleaved blocks read and
interleaved in a worker thread) to whoever stores it, and `discard()` removes the spool files.

Spool files are named `<call id>.<rate>hz.<random>.<side>.raw`, so a spool a crashed process left behind can
be matched to its call and turned into the same WAV later (`spool_recovery`, through `StereoRecorder.resume`).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

FLUSH_BYTES = 64 * 1024
SIDES = ("caller", "agent")
_SPOOL_NAME = re.compile(
    r"^(?P<call>[A-Za-z0-9_-]+)\.(?P<rate>[0-9]+)hz\.(?P<token>[0-9a-f]+)\.(?P<side>caller|agent)\.raw$"
)


@dataclass(frozen=True)
class SpoolName:
    """What a spool file's name says: whose call, at which rate, which side; `stem` joins the two sides."""

    call_id: str
    rate: int
    stem: str
    side: str

    @classmethod
    def parse(cls, filename: str) -> SpoolName | None:
        match = _SPOOL_NAME.match(filename)
        if match is None or int(match["rate"]) <= 0:
            return None
        return cls(match["call"], int(match["rate"]), filename[: -len(f".{match['side']}.raw")], match["side"])


def wav_header(rate: int, frames: int, channels: int = 2) -> bytes:
    """The 44-byte RIFF header of a PCM16 WAV whose length is known up front."""
    data = frames * channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
        + b"data"
        + struct.pack("<I", data)
    )


class _Track:
    def __init__(self, path: Path, file: BinaryIO | None) -> None:
        self.path = path
        self.file = file
        self.samples = 0
        self._buffer = bytearray()
        self._writing: asyncio.Future[int] | None = None
        self.error: BaseException | None = None

    def write_at(self, sample: int, pcm: bytes) -> None:
        if self.error is not None:
            return
        if sample > self.samples:
            self._buffer += bytes((sample - self.samples) * 2)
            self.samples = sample
        self._buffer += pcm
        self.samples += len(pcm) // 2
        if len(self._buffer) >= FLUSH_BYTES and (self._writing is None or self._writing.done()):
            self._flush()

    def _flush(self) -> None:
        if self.file is None:  # a resumed spool is read, never written
            return
        data, self._buffer = bytes(self._buffer), bytearray()
        self._writing = asyncio.get_running_loop().run_in_executor(None, self.file.write, data)
        self._writing.add_done_callback(self._written)

    def _written(self, future: asyncio.Future[int]) -> None:
        if not future.cancelled() and future.exception() is not None:
            self.error = future.exception()

    async def close(self) -> None:
        """Waits for the write in flight, writes the rest, closes the file; raises if any write failed."""
        try:
            if self._writing is not None:
                await asyncio.shield(self._writing)
            if self.error is None and self._buffer and self.file is not None:
                data, self._buffer = bytes(self._buffer), bytearray()
                await asyncio.to_thread(self.file.write, data)
        finally:
            if self.file is not None:
                await asyncio.to_thread(self.file.close)
        if self.error is not None:
            raise self.error


class StereoRecorder:
    def __init__(self, caller: _Track, agent: _Track, rate: int, start: float) -> None:
        self.rate = rate
        self._start = start
        self._caller = caller
        self._agent = agent

    @classmethod
    async def open(cls, spool: Path, rate: int, start: float, call_id: str = "call") -> StereoRecorder:
        """Spool files are created off the loop, named by call id plus a random part (the spool may be
        shared, and a reconnected stream of the same call gets its own files)."""
        stem = spool / f"{call_id}.{rate}hz.{secrets.token_hex(8)}"

        def create() -> tuple[_Track, _Track]:
            spool.mkdir(parents=True, exist_ok=True)
            tracks = []
            for side in SIDES:
                path = stem.with_name(f"{stem.name}.{side}.raw")
                tracks.append(_Track(path, open(path, "xb")))
            return tracks[0], tracks[1]

        caller, agent = await asyncio.to_thread(create)
        return cls(caller, agent, rate, start)

    @classmethod
    async def resume(cls, caller: Path, agent: Path, rate: int) -> StereoRecorder:
        """A spool left behind by a process that died: what reached the files, ready for `chunks()` (the last
        unflushed moments, at most FLUSH_BYTES a side, were lost with the process)."""
        sizes = await asyncio.to_thread(lambda: (caller.stat().st_size, agent.stat().st_size))
        tracks = []
        for path, size in zip((caller, agent), sizes, strict=True):
            track = _Track(path, None)
            track.samples = size // 2
            tracks.append(track)
        return cls(tracks[0], tracks[1], rate, 0.0)

    @property
    def empty(self) -> bool:
        return self._caller.samples == 0 and self._agent.samples == 0

    @property
    def paths(self) -> tuple[Path, Path]:
        return self._caller.path, self._agent.path

    def _sample(self, now: float, track: _Track, pcm: bytes) -> int:
        """Where audio that ends `now` begins; never before what the track already holds."""
        at = int((now - self._start) * self.rate) - len(pcm) // 2
        return max(track.samples, at)

    def caller(self, pcm: bytes, now: float) -> None:
        self._caller.write_at(self._sample(now, self._caller, pcm), pcm)

    @property
    def wav_bytes(self) -> int:
        """The size of the stored WAV: its header and the longer track, interleaved (16-bit stereo)."""
        return len(wav_header(self.rate, 0)) + max(self._caller.samples, self._agent.samples) * 4

    def agent(self, pcm: bytes, now: float) -> None:
        self._agent.write_at(self._sample(now + len(pcm) / 2 / self.rate, self._agent, pcm), pcm)

    async def close(self) -> None:
        """No more audio: everything buffered reaches the spool files."""
        errors = await asyncio.gather(self._caller.close(), self._agent.close(), return_exceptions=True)
        for error in errors:
            if isinstance(error, BaseException):
                raise error

    async def chunks(self, block_seconds: float = 1.0) -> AsyncIterator[bytes]:
        """The WAV, streamed: its header, then interleaved blocks of `block_seconds` (after `close()`)."""
        total = max(self._caller.samples, self._agent.samples)
        block = max(1, int(self.rate * block_seconds))
        yield wav_header(self.rate, total)
        left, right = await asyncio.to_thread(lambda: (open(self._caller.path, "rb"), open(self._agent.path, "rb")))
        try:
            for written in range(0, total, block):
                yield await asyncio.to_thread(_interleave, left, right, min(block, total - written))
        finally:

            def close_both() -> None:
                left.close()
                right.close()

            await asyncio.to_thread(close_both)

    async def discard(self) -> None:
        """Removes the spool files (idempotent)."""

        def remove() -> None:
            for path in self.paths:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass

        await asyncio.to_thread(remove)


def _interleave(left: BinaryIO, right: BinaryIO, count: int) -> bytes:
    stereo = np.zeros((count, 2), dtype="<i2")
    for channel, source in enumerate((left, right)):
        raw = source.read(count * 2)
        data = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2")  # a crash can cut a sample in half
        stereo[: len(data), channel] = data
    return stereo.tobytes()
