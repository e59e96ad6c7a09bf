"""PCM16 audio helpers for the call pipeline: 20 ms framing, resampling, mu-law, loudness.

All audio inside the pipeline is signed 16-bit little-endian mono PCM ("slin"); mu-law exists only at the
transport edge. numpy does the math (the stdlib `audioop` is deprecated).
"""

from __future__ import annotations

import numpy as np

FRAME_MS = 20
SUPPORTED_RATES = (8000, 16000, 24000)


def frame_bytes(rate: int, ms: int = FRAME_MS) -> int:
    """Bytes of one PCM16 mono frame of `ms` milliseconds at `rate`."""
    return rate * ms // 1000 * 2


def frame_seconds(pcm: bytes, rate: int) -> float:
    return len(pcm) / 2 / rate


def silence(rate: int, ms: int = FRAME_MS) -> bytes:
    return bytes(frame_bytes(rate, ms))


def to_array(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")


class SampleAligner:
    """Streamed PCM16 arrives in chunks of any length; a sample split across two chunks must not shift
    every later sample by one byte (which turns speech into loud noise)."""

    def __init__(self) -> None:
        self._odd = b""

    def push(self, data: bytes) -> bytes:
        """The whole samples so far; an odd trailing byte waits for the next chunk."""
        data = self._odd + data
        cut = len(data) - len(data) % 2
        self._odd = data[cut:]
        return data[:cut]


def resample(pcm: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Linear-interpolation resampling; downsampling first averages over the ratio to limit aliasing.

    Good enough for telephone-band speech at 8/16/24 kHz; cheap enough to run per utterance.
    """
    if src_rate == dst_rate or not pcm:
        return pcm
    samples = to_array(pcm).astype(np.float32)
    if dst_rate < src_rate:
        width = max(1, round(src_rate / dst_rate))
        if width > 1:
            kernel = np.ones(width, dtype=np.float32) / width
            samples = np.convolve(samples, kernel, mode="same").astype(np.float32)
    count = int(len(samples) * dst_rate / src_rate)
    if count == 0:
        return b""
    positions = np.arange(count, dtype=np.float64) * (src_rate / dst_rate)
    out = np.interp(positions, np.arange(len(samples)), samples)
    return np.clip(np.round(out), -32768, 32767).astype("<i2").tobytes()


_MULAW_BIAS = 0x84
_MULAW_CLIP = 32635


def mulaw_encode(pcm: bytes) -> bytes:
    """G.711 mu-law, one byte per sample."""
    x = to_array(pcm).astype(np.int32)
    sign = np.where(x < 0, 0x80, 0).astype(np.int32)
    magnitude = np.minimum(np.abs(x), _MULAW_CLIP) + _MULAW_BIAS
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    encoded = ~(sign | (exponent << 4) | mantissa) & 0xFF
    ulaw: bytes = encoded.astype(np.uint8).tobytes()
    return ulaw


def mulaw_decode(data: bytes) -> bytes:
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + _MULAW_BIAS) << exponent) - _MULAW_BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype("<i2").tobytes()


def rms(pcm: bytes) -> float:
    """Root mean square level (0..32768)."""
    samples = to_array(pcm)
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def tone(rate: int, ms: int, frequency: float = 440.0, amplitude: int = 6000) -> bytes:
    """A sine tone; used for beeps, backchannel noise in tests and the fake TTS."""
    t = np.arange(rate * ms // 1000) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype("<i2").tobytes()


class FrameSplitter:
    """Re-chunks arbitrary PCM into exact 20 ms frames (Exotel sends ~100 ms, browsers anything)."""

    def __init__(self, rate: int, ms: int = FRAME_MS) -> None:
        self.size = frame_bytes(rate, ms)
        self._pending = bytearray()

    def push(self, pcm: bytes) -> list[bytes]:
        if not self._pending and len(pcm) == self.size:
            return [bytes(pcm)]  # the common case (a 20 ms frame in, nothing left over): no re-chunking
        self._pending += pcm
        count = len(self._pending) // self.size
        frames = [bytes(self._pending[i * self.size : (i + 1) * self.size]) for i in range(count)]
        del self._pending[: count * self.size]
        return frames

    def flush(self, pad: bool = True) -> list[bytes]:
        """The remainder as a last frame, padded with silence."""
        if not self._pending:
            return []
        last = bytes(self._pending) + bytes(self.size - len(self._pending)) if pad else bytes(self._pending)
        self._pending.clear()
        return [last]
