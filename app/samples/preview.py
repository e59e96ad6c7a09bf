"""Audible previews of catalog voices, spoken offline by the local TTS in the voice's language.

Remote voices (Sarvam, ElevenLabs) are previewed with the local voice for their language: a preview
must work with no provider keys, and it never spends an organisation's provider credits.
"""

from __future__ import annotations

from collections import OrderedDict

from app.voice.providers.cpu import run_cpu
from app.voice.providers.espeak_tts import synthesize_blocking
from app.voice.providers.wav import pcm_to_wav

PREVIEW_RATE = 16000
PREVIEW_TEXT = {
    "hi": "नमस्ते, मैं आपकी सहायता के लिए यहाँ हूँ।",
    "en": "Hello! This is how I sound on a call.",
}
CACHE_SIZE = 64


class VoicePreviews:
    """A small LRU cache in front of synthesis: the same few voices are previewed over and over."""

    def __init__(self) -> None:
        self._cache: OrderedDict[str, bytes] = OrderedDict()

    async def wav(self, voice_uuid: str, language_code: str) -> bytes:
        cached = self._cache.get(voice_uuid)
        if cached is not None:
            self._cache.move_to_end(voice_uuid)
            return cached
        language = language_code.split("-")[0]
        text = PREVIEW_TEXT.get(language, PREVIEW_TEXT["en"])
        audio = pcm_to_wav(await run_cpu(synthesize_blocking, text, language_code, PREVIEW_RATE), PREVIEW_RATE)
        self._cache[voice_uuid] = audio
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return audio
