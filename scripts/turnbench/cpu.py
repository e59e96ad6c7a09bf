"""In-process micro-benchmark (not a call): CPU per call-second of what runs on every caller frame: the
denoiser and the voice detector, over a mixed minute of audio (speech, pauses, background noise); and the
single-voice test, which runs only on frames of speech over the agent (per second of such speech); and one
intonation reading, which runs once per pause of the caller."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from app.turn_taking.config import VadKind
from app.turn_taking.denoise import PassThrough, SpeexDenoiser
from app.turn_taking.detectors import SileroDetector, WebRtcDetector
from app.turn_taking.intonation import Intonation
from app.turn_taking.voicing import periodicity
from scripts.turnbench.corpus import QUESTIONS, RATE, say, white

FRAME_BYTES = RATE * 2 // 50


def mixed_minute(noisy: bool) -> list[bytes]:
    """About 40% speech and 60% pauses; `noisy`: steady white noise under all of it."""
    audio = b""
    texts = [text for texts in QUESTIONS.values() for text in texts]
    while len(audio) < 60 * RATE * 2:
        for text in texts:
            speech = say(text, "hi" if any("\u0900" <= ch <= "\u097f" for ch in text) else "en")
            audio += speech + bytes(int(len(speech) * 1.5) // 2 * 2)
    audio = audio[: 60 * RATE * 2]
    if noisy:
        mixed = np.frombuffer(audio, dtype="<i2").astype(np.int32)
        mixed += np.frombuffer(white(60, 300, 1), dtype="<i2").astype(np.int32)[: len(mixed)]
        audio = np.clip(mixed, -32768, 32767).astype("<i2").tobytes()
    return [audio[i : i + FRAME_BYTES] for i in range(0, len(audio), FRAME_BYTES)]


def measure() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for noisy in (False, True):
        minute = mixed_minute(noisy)
        for kind in VadKind:
            for suppress in (False, True):
                cleaner = SpeexDenoiser(always=True) if suppress else PassThrough()  # a noisy line: the worst case
                detector = SileroDetector(RATE) if kind == VadKind.SILERO else WebRtcDetector(RATE, 2)
                started = time.process_time()
                for frame in minute:
                    detector.is_speech(cleaner.clean(frame))
                spent = time.process_time() - started
                name = f"{kind.value}{'+speex' if suppress else ''}{' (noisy line)' if noisy else ''}"
                out[name] = {
                    "cpu_ms_per_call_second": round(spent / 60 * 1000, 3),
                    "calls_per_core": int(60 / spent) if spent else None,
                }
    minute = mixed_minute(False)
    started = time.process_time()
    for frame in minute:
        periodicity(frame, RATE)
    spent = time.process_time() - started
    out["periodicity (per second of speech over the agent only)"] = {
        "cpu_ms_per_call_second": round(spent / 60 * 1000, 3),
        "calls_per_core": None,
    }
    out["intonation reading (once per pause of 100 ms, ms each)"] = {
        "cpu_ms_per_call_second": round(intonation_ms(minute), 3),
        "calls_per_core": None,
    }
    return out


def intonation_ms(minute: list[bytes], readings: int = 500) -> float:
    """CPU per reading of how a caller's last 600 ms of voice ended in pitch (`Intonation.ending`)."""
    intonation = Intonation(RATE)
    voiced = minute[:30]
    started = time.process_time()
    for _ in range(readings):
        intonation.reset()
        for frame in voiced:
            intonation.push(frame, True)
        intonation.ending()
    return (time.process_time() - started) / readings * 1000
