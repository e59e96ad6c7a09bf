"""Stereo WAV of the call: caller on the left channel, agent on the right, aligned on the call clock.

Each side is appended to its own raw temp file as audio flows (memory stays flat on long calls); at the end
they are interleaved into the WAV in a worker thread.
"""

from __future__ import annotations

import asyncio
import os
import wave
from pathlib import Path

import numpy as np


class _Track:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = open(path, "wb", buffering=256 * 1024)
        self.samples = 0

    def write_at(self, sample: int, pcm: bytes) -> None:
        if sample > self.samples:
            self.file.write(bytes((sample - self.samples) * 2))
            self.samples = sample
        self.file.write(pcm)
        self.samples += len(pcm) // 2


class StereoRecorder:
    def __init__(self, path: Path, rate: int, start: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rate = rate
        self._start = start
        self._caller = _Track(path.with_suffix(".caller.raw"))
        self._agent = _Track(path.with_suffix(".agent.raw"))

    def _sample(self, now: float, track: _Track, pcm: bytes) -> int:
        """Where audio that ends `now` begins; never before what the track already holds."""
        at = int((now - self._start) * self.rate) - len(pcm) // 2
        return max(track.samples, at)

    def caller(self, pcm: bytes, now: float) -> None:
        self._caller.write_at(self._sample(now, self._caller, pcm), pcm)

    def agent(self, pcm: bytes, now: float) -> None:
        self._agent.write_at(self._sample(now + len(pcm) / 2 / self.rate, self._agent, pcm), pcm)

    async def close(self) -> Path:
        for track in (self._caller, self._agent):
            track.file.close()
        await asyncio.to_thread(self._interleave)
        return self.path

    def _interleave(self) -> None:
        total = max(self._caller.samples, self._agent.samples)
        block = self.rate * 2
        with wave.open(str(self.path), "wb") as out, open(self._caller.path, "rb") as left, \
                open(self._agent.path, "rb") as right:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            for written in range(0, total, block):
                stereo = np.zeros((block, 2), dtype="<i2")
                for channel, source in enumerate((left, right)):
                    data = np.frombuffer(source.read(block * 2), dtype="<i2")
                    stereo[:len(data), channel] = data
                count = min(block, total - written)
                out.writeframes(stereo[:count].tobytes())
        os.unlink(self._caller.path)
        os.unlink(self._agent.path)
