"""Backchannels ("haan", "hmm", "okay", "accha"): the classifier lives with turn-taking."""

from __future__ import annotations

from app.turn_taking.backchannel import (
    BACKCHANNEL_WORDS,
    MAX_WORDS,
    BackchannelClassifier,
    is_backchannel,
)

__all__ = ["BACKCHANNEL_WORDS", "MAX_WORDS", "BackchannelClassifier", "is_backchannel"]
