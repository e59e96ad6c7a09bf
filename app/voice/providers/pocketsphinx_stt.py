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
        self._initial_cmn: str | None = None

    def acquire(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            from pocketsphinx import Decoder

            with self._lock:
                decoder = Decoder(loglevel="FATAL", samprate=_RATE)
                if self._initial_cmn is None:
                    self._initial_cmn = decoder.get_cmn(False)
                return decoder

    def reset(self, decoder) -> None:
        """Forget what earlier utterances taught the front end (cepstral means, feature buffers): without
        this, a burst of loud noise on one call changes what the next caller on that decoder is heard saying."""
        decoder.reinit_feat()
        decoder.set_cmn(self._initial_cmn)

    def release(self, decoder) -> None:
        self._idle.put(decoder)


_pool = _DecoderPool()


def transcribe_blocking(pcm: bytes, rate: int) -> str:
    audio = resample(pcm, rate, _RATE)
    if len(audio) < 2:
        return ""
    decoder = _pool.acquire()
    _pool.reset(decoder)
    decoder.start_utt()
    try:
        decoder.process_raw(audio, full_utt=True)
    finally:
        decoder.end_utt()
    hypothesis = decoder.hyp()
    _pool.release(decoder)  # only decoders that finished their utterance go back to the pool
    return hypothesis.hypstr.strip() if hypothesis else ""


class PocketsphinxSTT:
    """English only: other languages still get an (English) best effort rather than nothing."""

    async def transcribe(self, pcm: bytes, rate: int, language: str | None) -> Transcript:
        if not pcm:
            return Transcript("", language)
        text = await run_cpu(transcribe_blocking, pcm, rate)
        return Transcript(text, "en-IN")
