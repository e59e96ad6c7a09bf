"""How long a silence closes the caller's turn, read from the transcript heard so far.

With `trust_partials` (an STT that hears the caller's words), a turn that reads as complete (a question,
a finished clause, a short answer like "yes" or "haan ji") closes after `min_endpoint_ms`; one that ends
mid-thought (conjunction, preposition, article, filler, a verb waiting for its object) waits up to
`max_endpoint_ms`; one the transcript says nothing about waits `endpoint_ms`. Without it the words are not
read: a misheard word read as "complete" is a takeover in the middle of the caller's sentence.

A turn whose last words rose in pitch like a question (`Ending.RISING`), and that trusted words do not
read as complete or unfinished, closes after `rising_endpoint_ms` (never later than `endpoint_ms`); any
other waits `endpoint_ms`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from app.turn_taking.config import TurnTakingConfig
from app.turn_taking.intonation import Ending
from app.turn_taking.lexicon import (
    FINISHED,
    QUESTION_OPENERS,
    SHORT_ANSWERS,
    UNFINISHED,
)

_WORD = re.compile(r"[\w\u0900-\u097F']+")


class Reading(str, Enum):
    COMPLETE = "complete"
    UNFINISHED = "unfinished"
    UNKNOWN = "unknown"


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def read_turn(text: str) -> Reading:
    words = words_of(text)
    if not words:
        return Reading.UNKNOWN
    last = words[-1]
    if text.rstrip().endswith("?"):
        return Reading.COMPLETE
    if last in UNFINISHED and last not in FINISHED:
        return Reading.UNFINISHED
    if len(words) <= 3 and all(word in SHORT_ANSWERS or word.isdigit() for word in words):
        return Reading.COMPLETE
    if last in FINISHED or last.isdigit():
        return Reading.COMPLETE
    if words[0] in QUESTION_OPENERS and len(words) >= 3:
        return Reading.COMPLETE
    if last in UNFINISHED:
        return Reading.UNFINISHED
    return Reading.UNKNOWN


@dataclass(frozen=True)
class EndpointPolicy:
    config: TurnTakingConfig

    def silence_ms(self, partial: str, ending: Ending = Ending.OTHER) -> int:
        if self.config.trust_partials:
            reading = read_turn(partial)
            if reading == Reading.COMPLETE:
                return self.config.min_endpoint_ms
            if reading == Reading.UNFINISHED:
                return self.config.max_endpoint_ms
        if ending == Ending.RISING:  # a cue to answer sooner, never later than a turn with no cue
            return min(self.config.rising_endpoint_ms, self.config.endpoint_ms)
        return self.config.endpoint_ms
