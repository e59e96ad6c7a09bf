"""Reading the WAV payloads providers answer with into PCM16 mono."""

from __future__ import annotations

import io
import wave

import numpy as np

from app.voice.providers.base import ProviderError


def wav_to_pcm(data: bytes) -> tuple[bytes, int]:
    """(PCM16 mono, rate); stereo is mixed down."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as error:
        raise ProviderError(f"not a WAV payload: {error}") from error
    if width != 2:
        raise ProviderError(f"unsupported WAV sample width {width}")
    if channels > 1:
        samples = np.frombuffer(frames, dtype="<i2").reshape(-1, channels).mean(axis=1)
        frames = samples.astype("<i2").tobytes()
    return frames, rate


def pcm_to_wav(pcm: bytes, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()
