"""Offline STT: pocketsphinx with the English model the wheel ships.

Decoders take ~0.4 s to load and are not thread-safe, so a small pool of them is reused, each used by one
thread at a time in the CPU pool.
"""

from __future__ import annotations

import queue
import threading

from app.voice.audio import resample
from app.voice.providers.base import Transcript
from app.voice.providers.cpu import run_cpu

_RATE = 16000


class _DecoderPool:
    def __init__(self) -> None:
        self._idle: "queue.SimpleQueue" = queue.SimpleQueue()
        self._lock = threading.Lock()

    def acquire(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            from pocketsphinx import Decoder

            with self._lock:
                return Decoder(loglevel="FATAL", samprate=_RATE)

    def release(self, decoder) -> None:
        self._idle.put(decoder)


_pool = _DecoderPool()


def transcribe_blocking(pcm: bytes, rate: int) -> str:
    audio = resample(pcm, rate, _RATE)
    decoder = _pool.acquire()
    try:
        decoder.start_utt()
        decoder.process_raw(audio, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        return hypothesis.hypstr.strip() if hypothesis else ""
    finally:
        _pool.release(decoder)


class PocketsphinxSTT:
    """English only: other languages still get an (English) best effort rather than nothing."""

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        if not pcm:
            return Transcript("", language)
        text = await run_cpu(transcribe_blocking, pcm, rate)
        return Transcript(text, "en-IN")
