"""Did the caller's last words rise in pitch, like a question? A final rise is a turn-yielding cue that needs no
words, so it works where the offline STT hears none (Hindi, telephone audio): the turn then closes after
`rising_endpoint_ms` instead of `endpoint_ms`.

Measured on espeak-ng speech at 8 kHz through Silero, clean and mu-law (English and Hindi; 15 questions, 18
half sentences, each said alone): a question ended 2.9-5.4 semitones above the lowest pitch of the 350 ms
before its end (27 of 30; of the others, a request ended with "।" falls, twice, and one had too little pitch);
a half sentence ended falling or level (-2.3 to 1.2). A half sentence ended on a continuation rise ("I would
like to know about,") rises like a question (26 of 36 over the line): that is the case this cue gets wrong,
and why the rise only shortens the wait to `rising_endpoint_ms` rather than closing at once.
(`python -m scripts.turnbench.rises` measures it.)

The pitch is read once per pause, from the last 600 ms of voiced audio, never per frame.
"""

from __future__ import annotations

from collections import deque
from enum import Enum

import numpy as np

RISE_SEMITONES = 2.5  # the end above the low of the 350 ms before it that reads as a question's rise
_KEEP_FRAMES = 30  # voiced 20 ms frames kept: the last 600 ms (the VAD calls the first ~200 ms after speech voiced)
_WINDOW_MS, _HOP_MS = 40, 10
_MIN_HZ, _MAX_HZ = 70, 400
_VOICED_CORRELATION = 0.5  # a window below this has no clear pitch
_MIN_RMS = 300.0
_MIN_PITCHED = 8  # pitched windows needed to judge (80 ms of hop)
_LOW_SPAN = 35  # pitched windows (350 ms) the low is taken over
_END_SPAN = 4  # windows (the last ~40 ms) the end is the median of


class Ending(str, Enum):
    RISING = "rising"
    OTHER = "other"  # falling, level, or too little pitched voice to tell


def pitch_track(pcm: np.ndarray, rate: int) -> np.ndarray:
    """F0 in Hz per 10 ms hop of 40 ms windows (0 where a window has no clear pitch)."""
    width, hop = rate * _WINDOW_MS // 1000, rate * _HOP_MS // 1000
    if len(pcm) < width:
        return np.zeros(0)
    starts = np.arange(0, len(pcm) - width + 1, hop)
    windows = pcm[starts[:, None] + np.arange(width)]
    windows = windows - windows.mean(axis=1, keepdims=True)
    low, high = rate // _MAX_HZ, rate // _MIN_HZ
    spectrum = np.fft.rfft(windows, 2 * width, axis=1)
    correlation = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, 2 * width, axis=1)[:, low:high]
    energy = np.concatenate((np.zeros((len(windows), 1)), np.cumsum(windows * windows, axis=1)), axis=1)
    lags = np.arange(low, high)
    norm = np.sqrt(energy[:, width - lags] * (energy[:, width : width + 1] - energy[:, lags]))
    normalised = np.where(norm > 1e-9, correlation / np.maximum(norm, 1e-9), 0.0)
    best = np.argmax(normalised, axis=1)
    strength = normalised[np.arange(len(windows)), best]
    rms = np.sqrt(energy[:, width] / width)
    pitched = (strength >= _VOICED_CORRELATION) & (rms >= _MIN_RMS)
    return np.where(pitched, rate / (best + low), 0.0)


def rise_semitones(f0: np.ndarray) -> float | None:
    """How far the end of the contour lies above its recent low (None: too little pitch to tell). Octave
    jumps of the tracker are folded back towards the median first, and wilder values dropped."""
    pitched = f0[f0 > 0]
    if len(pitched) < _MIN_PITCHED:
        return None
    median = float(np.median(pitched))
    folded = pitched.copy()
    folded[folded > 1.6 * median] /= 2
    folded[folded < 0.625 * median] *= 2
    folded = folded[(folded > median / 1.5) & (folded < median * 1.5)]  # what folding cannot mend (3x)
    if len(folded) < max(_MIN_PITCHED, _END_SPAN + 1):
        return None
    end = float(np.median(folded[-_END_SPAN:]))
    low = float(folded[-_LOW_SPAN:-_END_SPAN].min())  # before the end: a fall's last dip is no low to rise from
    return float(12 * np.log2(end / low))


class Intonation:
    """The current turn's last voiced frames, and how they ended, read once per pause."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._frames: deque[bytes] = deque(maxlen=_KEEP_FRAMES)
        self._ending: Ending | None = None

    def push(self, frame: bytes, voiced: bool) -> None:
        if voiced:
            self._frames.append(frame)
            self._ending = None

    def rise(self) -> float | None:
        """How far the last words rose, in semitones (None: too little pitch to tell)."""
        pcm = np.frombuffer(b"".join(self._frames), dtype="<i2").astype(np.float64)
        return rise_semitones(pitch_track(pcm, self.rate))

    def ending(self) -> Ending:
        if self._ending is None:
            rise = self.rise()
            self._ending = Ending.RISING if rise is not None and rise >= RISE_SEMITONES else Ending.OTHER
        return self._ending

    def reset(self) -> None:
        self._frames.clear()
        self._ending = None
