"""What the agent says around a tool by itself: the default waiting line and the apology, per language.

A tool's own `speak_while_waiting` line wins over the default; Hindi falls back to Hinglish in Latin script
because the offline TTS (espeak-ng) and most Sarvam speakers read it well.
"""

from __future__ import annotations

WAITING = {
    "en": "One moment, let me check that for you.",
    "hi": "Ek minute, main abhi check karti hoon.",
    "ta": "Oru nimidam, naan check pannugiren.",
    "te": "Oka nimisham, nenu check chestanu.",
    "kn": "Ondu nimisha, naanu check maaduttene.",
    "mr": "Ek minute, mi check karte.",
    "bn": "Ek minute, ami check korchi.",
}
APOLOGY = {
    "en": "Sorry, I could not get that information just now. Is there anything else I can help with?",
    "hi": "Maaf kijiye, abhi yeh jaankari nahi mil paayi. Kya main aur kisi cheez mein madad kar sakti hoon?",
}


def _base(language: str) -> str:
    return (language or "en").split("-")[0].lower()


def waiting_line(language: str, own: str | None = None) -> str:
    return own or WAITING.get(_base(language), WAITING["en"])


def apology(language: str) -> str:
    return APOLOGY.get(_base(language), APOLOGY["en"])
