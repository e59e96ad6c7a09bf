"""Noise suppression on the caller's audio before VAD and STT: Speex's preprocessor (pyspeex-noise, MIT,
about 1 ms of CPU per call-second), automatic gain off.

The wrapped library takes 160-sample chunks (10 ms at 16 kHz); an 8 kHz 20 ms frame is exactly that many
samples and the suppressor works per spectral bin, so 8 kHz frames go through unchanged in size. Other rates
are cut into 160-sample chunks as they are.
"""

from __future__ import annotations

from typing import Protocol

_CHUNK = 160 * 2  # bytes the library takes per call


class Denoiser(Protocol):
    def clean(self, frame: bytes) -> bytes: ...


class PassThrough:
    def clean(self, frame: bytes) -> bytes:
        return frame


class SpeexDenoiser:
    """Stateful per call: the noise estimate adapts over the first second or so."""

    def __init__(self, suppress_db: int = -30) -> None:
        from pyspeex_noise import AudioProcessor

        self._processor = AudioProcessor(0, suppress_db)

    def clean(self, frame: bytes) -> bytes:
        if len(frame) % _CHUNK:
            return frame  # a torn frame: never worth a crash
        if len(frame) == _CHUNK:
            return bytes(self._processor.process_10ms(frame))
        return b"".join(
            bytes(self._processor.process_10ms(frame[i : i + _CHUNK])) for i in range(0, len(frame), _CHUNK)
        )


def denoiser(enabled: bool) -> Denoiser:
    return SpeexDenoiser() if enabled else PassThrough()
