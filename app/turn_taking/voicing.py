"""Is this voiced sound one person talking? A single talker's vowels are strongly periodic (one pitch); a crowd
(babble, a canteen, a street) sums several pitches and almost never is. The neural VAD hears both as speech,
so over the agent only sound with enough strongly periodic frames may pause it for long or `clear` it.

Measured on espeak-ng speech (English and Hindi, clean and mu-law, denoised): of the first 10 voiced frames
(200 ms), an interruption had 3-10 frames at normalised autocorrelation >= 0.9 (10 sentences), babble of 3
to 6 voices 0-2 (9 mixes); in any 10 later frames babble had at most 6, speech 7 or more. Computed only for
frames judged over the agent, never on every frame of a call.
"""

from __future__ import annotations

import numpy as np

PERIODIC = 0.9  # normalised autocorrelation at the pitch lag that counts a frame as one clear voice
_MIN_HZ, _MAX_HZ = 70, 400


def periodicity(frame: bytes, rate: int) -> float:
    """The highest normalised autocorrelation of a PCM16 frame over pitch lags 70-400 Hz (0 for silence)."""
    x = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    low, high = rate // _MAX_HZ, rate // _MIN_HZ
    n = len(x)
    if n <= high:
        return 0.0
    x = x - x.mean()
    spectrum = np.fft.rfft(x, 2 * n)
    correlation = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, 2 * n)[low:high]
    energy = np.concatenate(([0.0], np.cumsum(x * x)))
    lags = np.arange(low, high)
    norm = np.sqrt(energy[n - lags] * (energy[n] - energy[lags]))
    valid = norm > 1e-9
    if not valid.any():
        return 0.0
    return float(np.max(np.where(valid, correlation / np.where(valid, norm, 1.0), 0.0)))


def is_periodic(frame: bytes, rate: int) -> bool:
    return periodicity(frame, rate) >= PERIODIC
