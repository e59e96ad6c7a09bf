"""Linear-interpolation resampling of a stream cut in arbitrary pieces, with the same output as resampling
the whole stream at once (`app.voice.audio.resample`, upsampling): the last input sample and the position of
the next output sample carry over from one piece to the next, so batch boundaries leave no clicks."""

from __future__ import annotations

import numpy as np


class StreamResampler:
    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate, self.dst_rate = src_rate, dst_rate
        self._step = src_rate / dst_rate
        self._carry: np.ndarray = np.zeros(0, dtype=np.float32)  # the previous piece's last sample
        self._position = 0.0  # next output, in samples of carry+piece

    def push(self, pcm: bytes) -> bytes:
        if self.src_rate == self.dst_rate or not pcm:
            return pcm
        samples = np.concatenate([self._carry, np.frombuffer(pcm, dtype="<i2").astype(np.float32)])
        if self.dst_rate < self.src_rate:  # rare (a 24 kHz browser): per-piece smoothing is good enough
            width = max(1, round(self.src_rate / self.dst_rate))
            samples = np.convolve(samples, np.ones(width, dtype=np.float32) / width, mode="same")
        last = len(samples) - 1
        count = int(np.floor((last - self._position) / self._step)) + 1 if last >= self._position else 0
        positions = self._position + np.arange(count, dtype=np.float64) * self._step
        out = np.interp(positions, np.arange(len(samples)), samples)
        self._position = (self._position + count * self._step) - last
        self._carry = samples[-1:]
        encoded: bytes = np.clip(np.round(out), -32768, 32767).astype("<i2").tobytes()
        return encoded
