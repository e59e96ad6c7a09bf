"""Backchannels: the "haan", "hmm", "okay", "accha" a listener says while the agent talks.

They show attention and must not interrupt the agent (the complaint users of voice frameworks file most).
"""

from __future__ import annotations

import re

BACKCHANNEL_WORDS = frozenset({
    "haan", "han", "haa", "ha", "hmm", "hm", "hmmm", "mm", "mmm", "mhm", "uh", "huh", "um", "umm", "ah", "oh",
    "okay", "ok", "okk", "accha", "acha", "achha", "achcha", "ji", "right", "yeah", "yes", "yep", "sure",
    "theek", "thik", "hai", "alright", "cool", "got", "it", "i", "see", "ahan", "aha",
    "हाँ", "हां", "हम्म", "अच्छा", "ठीक", "है", "जी", "ओके",
})
MAX_WORDS = 3


def is_backchannel(text: str) -> bool:
    words = re.findall(r"[^\W\d_]+", text.lower())
    return 0 < len(words) <= MAX_WORDS and all(word in BACKCHANNEL_WORDS for word in words)
