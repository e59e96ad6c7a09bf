"""Answering-machine detection for outbound calls: a long greeting followed by a beep.

A beep is a steady pure tone (one dominant frequency, 400-2500 Hz) lasting at least 200 ms. Speech has
energy spread over many harmonics, so it never looks like one. Only the first seconds of a call are watched.
"""

from __future__ import annotations

import numpy as np

from app.voice.audio import FRAME_MS, to_array


class BeepDetector:
    def __init__(
        self,
        rate: int,
        min_ms: int = 200,
        low_hz: float = 400,
        high_hz: float = 2500,
        purity: float = 0.6,
        min_rms: float = 300,
    ) -> None:
        self.rate = rate
        self._needed = max(1, min_ms // FRAME_MS)
        self.low, self.high, self.purity, self.min_rms = low_hz, high_hz, purity, min_rms
        self._run = 0
        self._frequency: float | None = None

    def tone_frequency(self, frame: bytes) -> float | None:
        """The frame's frequency if it is a pure tone in the beep band, else None."""
        samples = to_array(frame).astype(np.float64)
        if samples.size == 0 or np.sqrt(np.mean(samples**2)) < self.min_rms:
            return None
        power = np.abs(np.fft.rfft(samples * np.hanning(samples.size))) ** 2
        peak = int(np.argmax(power))
        share = power[max(0, peak - 2) : peak + 3].sum() / power.sum()
        frequency = peak * self.rate / samples.size
        return frequency if share >= self.purity and self.low <= frequency <= self.high else None

    def push(self, frame: bytes) -> bool:
        frequency = self.tone_frequency(frame)
        if frequency is None or (self._frequency is not None and abs(frequency - self._frequency) > 60):
            self._run = 0
            self._frequency = frequency
            if frequency is not None:
                self._run = 1
            return False
        self._frequency = frequency
        self._run += 1
        return self._run >= self._needed


class VoicemailDetector:
    """True once a beep follows at least `min_greeting_ms` of voiced, non-tonal audio within the window."""

    def __init__(self, rate: int, min_greeting_ms: int = 2000, window_ms: int = 40000) -> None:
        self._beeps = BeepDetector(rate)
        self._min_greeting = min_greeting_ms // FRAME_MS
        self._window = window_ms // FRAME_MS
        self._frames = 0
        self._voiced = 0

    @property
    def watching(self) -> bool:
        return self._frames < self._window

    def push(self, frame: bytes, voiced: bool) -> bool:
        self._frames += 1
        if not self.watching:
            return False
        beep = self._beeps.push(frame)
        if voiced and self._beeps.tone_frequency(frame) is None:
            self._voiced += 1
        return beep and self._voiced >= self._min_greeting
