"""Test audio: real synthetic speech from espeak-ng (cached), tones and noise, cut into 20 ms frames."""

from __future__ import annotations

import functools
import subprocess
import sys

import numpy as np

from app.voice.audio import FrameSplitter, frame_bytes, silence, tone

_SYNTHESIZE = (
    "import sys; from app.voice.providers.espeak_tts import synthesize_blocking; "
    "sys.stdout.buffer.write(synthesize_blocking(sys.argv[1], sys.argv[3], int(sys.argv[2])))"
)


@functools.lru_cache(maxsize=256)
def spoken(text: str, rate: int = 16000, language: str = "en") -> bytes:
    """Synthesised by a fresh espeak-ng in its own process: espeak-ng keeps state across voices (the same words
    come out slightly differently after another language was spoken), and a test's audio must not depend on
    the tests that ran before it in the same process."""
    done = subprocess.run(
        [sys.executable, "-c", _SYNTHESIZE, text, str(rate), language], capture_output=True, check=True
    )
    return done.stdout


def frames(pcm: bytes, rate: int = 16000) -> list[bytes]:
    splitter = FrameSplitter(rate)
    return splitter.push(pcm) + splitter.flush()


def speech_frames(text: str, rate: int = 16000) -> list[bytes]:
    return frames(spoken(text, rate), rate)


def silent_frames(ms: int, rate: int = 16000) -> list[bytes]:
    return [silence(rate)] * (ms // 20)


def noise_frames(ms: int, rate: int = 16000, level: float = 4000.0, seed: int = 7) -> list[bytes]:
    samples = np.random.default_rng(seed).normal(0, level, rate * ms // 1000)
    return frames(np.clip(samples, -32768, 32767).astype("<i2").tobytes(), rate)


def tone_frames(ms: int, rate: int = 16000, frequency: float = 300.0) -> list[bytes]:
    return frames(tone(rate, ms, frequency), rate)


__all__ = ["frame_bytes", "frames", "noise_frames", "silent_frames", "speech_frames", "spoken", "tone_frames"]


_FRESH: dict[tuple[str, int], bytes] = {}


def fresh_spoken(text: str, rate: int = 16000) -> bytes:
    """`text` as a new process's espeak-ng says it. espeak-ng's pitch flutter runs on a clock that advances
    with every sample it has ever synthesized in the process, so in-process audio depends on what other
    tests said before; a fresh process makes the audio the same on every run."""
    import subprocess
    import sys

    key = (text, rate)
    if key not in _FRESH:
        program = (
            "import sys; from app.voice.providers.espeak_tts import synthesize_blocking; "
            "sys.stdout.buffer.write(synthesize_blocking(sys.argv[1], 'en', int(sys.argv[2])))"
        )
        _FRESH[key] = subprocess.run(
            [sys.executable, "-c", program, text, str(rate)], check=True, capture_output=True, timeout=60
        ).stdout
    return _FRESH[key]
