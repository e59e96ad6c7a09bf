"""Noise suppression on the caller's audio before VAD and STT: Speex's preprocessor (pyspeex-noise, MIT,
about 1 ms of CPU per call-second), automatic gain off, run only on a line that has noise to suppress.

The suppressor holds the GIL for ~20 us a frame: at 200 calls that was a fifth of the event loop, spent mostly
on clean lines where it changes nothing. So each call watches its line's noise floor (the quietest frame of
each half second, a few microseconds of numpy) and starts the suppressor once two half seconds in a row had no
frame quieter than `NOISY_FLOOR_RMS`; from then on it runs for the rest of the call (its noise estimate is
learnt once). The floor, -41 dBFS (RMS 300), is above what fluent speech keeps between its words (espeak-ng
and recorded calls dip to RMS 0-200 within half a second) and below a 15 dB SNR line at a normal speech level
(RMS ~450); a PSTN line's idle noise sits around -60 dBFS.

The wrapped library takes 160-sample chunks (10 ms at 16 kHz); an 8 kHz 20 ms frame is exactly that many
samples and the suppressor works per spectral bin, so 8 kHz frames go through unchanged in size. Other rates
are cut into 160-sample chunks as they are.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

_CHUNK = 160 * 2  # bytes the library takes per call
NOISY_FLOOR_RMS = 300.0
_BLOCK_FRAMES = 25  # half a second of 20 ms frames


class Denoiser(Protocol):
    def clean(self, frame: bytes) -> bytes: ...


class PassThrough:
    def clean(self, frame: bytes) -> bytes:
        return frame


class NoiseFloor:
    """Says when a line is noisy: the quietest frame of each half second stayed above `NOISY_FLOOR_RMS` twice
    in a row (speech alone always has a quieter frame between words within half a second)."""

    def __init__(self, threshold_rms: float = NOISY_FLOOR_RMS) -> None:
        self._threshold_ms = threshold_rms * threshold_rms  # compared as mean squares: no square root a frame
        self._quiet_seen = False  # this half second already had a frame at or below the floor
        self._frames = 0
        self._noisy_blocks = 0

    def noisy(self, frame: bytes) -> bool:
        if not self._quiet_seen:  # once a quiet frame is seen the half second is clean: the rest is not measured
            samples = np.frombuffer(frame, dtype="<i2").astype(np.float32)
            self._quiet_seen = not len(samples) or float(np.dot(samples, samples)) / len(samples) <= self._threshold_ms
        self._frames += 1
        if self._frames >= _BLOCK_FRAMES:
            self._noisy_blocks = 0 if self._quiet_seen else self._noisy_blocks + 1
            self._quiet_seen, self._frames = False, 0
        return self._noisy_blocks >= 2


class SpeexDenoiser:
    """Stateful per call: the noise estimate adapts over the first second or so of suppression.

    `always`: suppress from the first frame (tests and the CPU benchmark); else only once `NoiseFloor` says
    the line is noisy.
    """

    def __init__(self, suppress_db: int = -30, *, always: bool = False) -> None:
        from pyspeex_noise import AudioProcessor

        self._processor = AudioProcessor(0, suppress_db)
        self._floor: NoiseFloor | None = None if always else NoiseFloor()

    @property
    def suppressing(self) -> bool:
        return self._floor is None

    def clean(self, frame: bytes) -> bytes:
        if len(frame) % _CHUNK:
            return frame  # a torn frame: never worth a crash
        if self._floor is not None:
            if not self._floor.noisy(frame):
                return frame
            self._floor = None  # noisy once: suppressed for the rest of the call
        if len(frame) == _CHUNK:
            return bytes(self._processor.process_10ms(frame))
        return b"".join(
            bytes(self._processor.process_10ms(frame[i : i + _CHUNK])) for i in range(0, len(frame), _CHUNK)
        )


def denoiser(enabled: bool) -> Denoiser:
    return SpeexDenoiser() if enabled else PassThrough()
