"""Language switching during a call (issue 16 §2): when the caller asks ("Hindi mein baat karo", "can you
speak Tamil"), when the STT hears another language on two caller turns in a row, or when the model calls
`switch_language(code)`. The flow's `config.languages` (allowed list) limits it; the voice follows with a
speaker of the same provider in that language, from the catalog."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.voice_catalog.catalog import DEFAULT_MODELS, VoiceProvider, default_speaker, find_voice, find_voices

LANGUAGE_WORDS = {
    "hindi": "hi-IN",
    "english": "en-IN",
    "angrezi": "en-IN",
    "tamil": "ta-IN",
    "telugu": "te-IN",
    "kannada": "kn-IN",
    "malayalam": "ml-IN",
    "marathi": "mr-IN",
    "bengali": "bn-IN",
    "bangla": "bn-IN",
    "gujarati": "gu-IN",
    "punjabi": "pa-IN",
    "odia": "od-IN",
    "oriya": "od-IN",
}
ASKING = re.compile(r"\b(speak|speaking|talk|baat|bolo|boliye|bolie|bol|switch|continue|reply|answer)\b")
_WORDS = re.compile(r"\b(" + "|".join(LANGUAGE_WORDS) + r")\b")


def base(code: str | None) -> str:
    return (code or "").split("-")[0].lower()


def requested_language(text: str) -> str | None:
    """The language a caller explicitly asks for ("speak Tamil", "Hindi mein"), or None ("I am from Tamil
    Nadu" and "I saw the ad in Hindi" are not requests)."""
    lowered = text.lower()
    found = _WORDS.search(lowered)
    if found is None or "nadu" in lowered:
        return None
    if not ASKING.search(lowered) and not re.search(rf"\b{found.group(1)}\s+(mein|me)\b", lowered):
        return None
    return LANGUAGE_WORDS[found.group(1)]


def allowed_languages(config: dict[str, Any]) -> tuple[str, ...]:
    """`config.languages` of the flow: BCP-47 codes; empty means any."""
    value = config.get("languages")
    return tuple(str(code) for code in value if isinstance(code, str)) if isinstance(value, list) else ()


@dataclass(frozen=True)
class SpeakingVoice:
    language: str
    speaker: str | None
    model: str | None


def voice_in(language: str, provider: str | None, speaker: str | None, model: str | None) -> SpeakingVoice:
    """The agent's voice moved to `language`: the same speaker when it speaks it, else the provider's speaker
    in that language (Sarvam: the model's default; others: the first catalog voice); offline voices follow
    the language by themselves."""
    try:
        known = VoiceProvider(provider) if provider else None
    except ValueError:
        known = None
    if known is None or known == VoiceProvider.NEXTNEURAL:
        return SpeakingVoice(language, speaker, model)
    if speaker and find_voice(known, speaker, model=model, language_code=language) is not None:
        return SpeakingVoice(language, speaker, model)
    if known == VoiceProvider.SARVAM:
        chosen_model = model or DEFAULT_MODELS.get(known)
        if chosen_model:
            fallback = default_speaker(chosen_model, language)
            if fallback:
                return SpeakingVoice(language, fallback, chosen_model)
    voices = find_voices(known, language)
    if voices:
        return SpeakingVoice(language, voices[0].speaker, voices[0].model)
    return SpeakingVoice(language, speaker, model)


class CallLanguage:
    """The call's current language and the rules for moving it; pure state, so every rule is testable."""

    def __init__(self, current: str, allowed: Iterable[str] = ()) -> None:
        self.current = current
        self.allowed = tuple(allowed)
        self._heard: list[str] = []

    def allows(self, code: str) -> bool:
        if not base(code):
            return False
        return not self.allowed or any(base(a) == base(code) for a in self.allowed)

    def resolve(self, code: str) -> str:
        """An allowed entry's full code for a bare one ("hi" -> "hi-IN" when the flow lists hi-IN)."""
        for allowed in self.allowed:
            if base(allowed) == base(code):
                return allowed
        return code if "-" in code else f"{base(code)}-IN"

    def switch(self, code: str | None) -> str | None:
        """Move to `code` if allowed and different; the new code, else None."""
        if not code or not self.allows(code) or base(code) == base(self.current):
            return None
        self.current = self.resolve(code)
        self._heard.clear()
        return self.current

    def heard(self, detected: str | None) -> str | None:
        """The STT's language of a caller turn: two in a row in another language switch."""
        if not detected:
            return None
        if base(detected) == base(self.current):
            self._heard.clear()
            return None
        self._heard = [*self._heard[-1:], detected]
        if len(self._heard) == 2 and base(self._heard[0]) == base(self._heard[1]):
            return self.switch(detected)
        return None
