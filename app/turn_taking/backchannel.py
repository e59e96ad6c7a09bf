"""Backchannels: the "haan", "hmm", "okay", "accha" a listener says while the agent talks.

They show attention and must not interrupt the agent (the complaint users of voice frameworks file most).
A flow can add words per language (`config.turn_taking.backchannel_words`).
"""

from __future__ import annotations

import re

BACKCHANNEL_WORDS = frozenset(
    {
        "haan",
        "han",
        "haa",
        "ha",
        "hmm",
        "hm",
        "hmmm",
        "mm",
        "mmm",
        "mhm",
        "uh",
        "huh",
        "um",
        "umm",
        "ah",
        "oh",
        "okay",
        "ok",
        "okk",
        "accha",
        "acha",
        "achha",
        "achcha",
        "ji",
        "right",
        "yeah",
        "yes",
        "yep",
        "sure",
        "theek",
        "thik",
        "hai",
        "alright",
        "cool",
        "got",
        "it",
        "i",
        "see",
        "ahan",
        "aha",
        "uhuh",
        "uhhuh",
        "mmhmm",
        "gotcha",
        "exactly",
        "absolutely",
        "understood",
        "bilkul",
        "sahi",
        "haanji",
        "achchha",
        "हाँ",
        "हां",
        "हम्म",
        "अच्छा",
        "ठीक",
        "है",
        "जी",
        "ओके",
        "बिल्कुल",
        "बिलकुल",
        "सही",
        "हाँजी",
    }
)
MAX_WORDS = 3
# words that make even a one-word turn over the agent an interruption (a stop, a question, a farewell)
INTERRUPT_WORDS = frozenset(
    {
        "stop",
        "wait",
        "hold",
        "no",
        "nope",
        "sorry",
        "excuse",
        "what",
        "hello",
        "hey",
        "listen",
        "actually",
        "but",
        "why",
        "who",
        "bye",
        "goodbye",
        "thanks",
        "thank",
        "repeat",
        "again",
        "human",
        "person",
        "transfer",
        "hang",
        "ruko",
        "ruk",
        "rukiye",
        "bas",
        "nahi",
        "nahin",
        "suniye",
        "suno",
        "arre",
        "kya",
        "kyun",
        "alvida",
        "dhanyavaad",
        "dhanyavad",
        "shukriya",
        "रुको",
        "रुकिए",
        "बस",
        "नहीं",
        "सुनिए",
        "सुनो",
        "अरे",
        "क्या",
        "क्यों",
        "अलविदा",
        "धन्यवाद",
        "शुक्रिया",
    }
)
ASIDE_WORDS = 2
_WORD = re.compile(r"[\w\u0900-\u097F]+")


class BackchannelClassifier:
    def __init__(self, extra: frozenset[str] = frozenset()) -> None:
        self.words = BACKCHANNEL_WORDS | extra

    def is_backchannel(self, text: str) -> bool:
        """A whole turn that only showed attention."""
        words = _WORD.findall(text.lower())
        return 0 < len(words) <= MAX_WORDS and all(word in self.words for word in words)

    def is_aside(self, text: str) -> bool:
        """A turn over the agent too short to take the floor: one or two words, none of them asking it to stop
        (what a noisy line or an STT in the wrong language makes of "haan" or "accha")."""
        words = _WORD.findall(text.lower())
        return 0 < len(words) <= ASIDE_WORDS and not any(word in INTERRUPT_WORDS for word in words)

    def may_be_backchannel(self, text: str, max_words: int = ASIDE_WORDS) -> bool:
        """At most `max_words` words, none asking the agent to stop (what an offline STT makes of "haan ji")."""
        words = _WORD.findall(text.lower())
        return len(words) <= max_words and not any(word in INTERRUPT_WORDS for word in words)

    def has_real_words(self, partial: str) -> bool:
        """Words heard so far that no backchannel contains (an interruption, whatever comes next)."""
        words = _WORD.findall(partial.lower())
        return len(words) > MAX_WORDS or any(word not in self.words for word in words)


DEFAULT = BackchannelClassifier()


def is_backchannel(text: str) -> bool:
    return DEFAULT.is_backchannel(text)
