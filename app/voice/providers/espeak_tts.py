"""Offline TTS: espeak-ng bound with ctypes from the espeakng-loader wheel (many Indian languages).

espeak-ng keeps global state, so one process-wide engine guarded by a lock synthesizes one sentence at a
time in the reply TTS pool (`cpu.run_tts`); the loaded library handle is cached.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import AsyncGenerator

from app.voice.audio import frame_bytes, resample
from app.voice.providers.base import ProviderError, Voice
from app.voice.providers.cpu import run_tts

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

# BCP-47 language (as stored on agents/customers) -> espeak-ng voice.
VOICES = {
    "en": "en-us",
    "en-in": "en-us",
    "en-us": "en-us",
    "en-gb": "en",
    "hi": "hi",
    "hi-in": "hi",
    "hi-en": "hi",
    "bn": "bn",
    "gu": "gu",
    "kn": "kn",
    "ml": "ml",
    "mr": "mr",
    "od": "or",
    "or": "or",
    "pa": "pa",
    "ta": "ta",
    "te": "te",
    "ur": "ur",
}


def espeak_voice(language: str | None) -> str:
    code = (language or "en").lower()
    return VOICES.get(code) or VOICES.get(code.split("-")[0], "en-us")


class _Engine:
    """The one loaded espeak-ng library of the process."""

    _instance: _Engine | None = None
    _create_lock = threading.Lock()

    def __init__(self) -> None:
        import espeakng_loader

        self.lock = threading.Lock()
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if self.rate <= 0:
            raise ProviderError("espeak-ng failed to initialise")
        self._chunks: list[bytes] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: ctypes must not free it
        self._lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> _Engine:
        with cls._create_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: int | None) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def synthesize(self, text: str, voice: str) -> bytes:
        with self.lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                self._lib.espeak_SetVoiceByName(b"en-us")
            self._chunks = []
            data = text.encode("utf-8")
            result = self._lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _ESPEAK_CHARS_UTF8, None, None)
            self._lib.espeak_Synchronize()
            if result != 0:
                raise ProviderError(f"espeak-ng synth failed ({result})")
            return b"".join(self._chunks)


def synthesize_blocking(text: str, language: str | None, rate: int) -> bytes:
    """Whole-text synthesis at `rate`; for tools and tests outside the event loop."""
    engine = _Engine.get()
    return resample(engine.synthesize(text, espeak_voice(language)), engine.rate, rate)


class EspeakTTS:
    """Streams one chunk per ~200 ms of audio after synthesizing the (sentence-sized) text off the loop."""

    CHUNK_MS = 200

    async def synthesize(self, text: str, voice: Voice, rate: int) -> AsyncGenerator[bytes, None]:
        if not text.strip():
            return
        pcm = await run_tts(synthesize_blocking, text, voice.language, rate)
        size = frame_bytes(rate, self.CHUNK_MS)
        for start in range(0, len(pcm), size):
            yield pcm[start : start + size]
