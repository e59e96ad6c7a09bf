"""Streams the caller's turn to a streaming STT while it is spoken, driven by the endpoint detector's events,
so the transcript is ready when the endpointing window closes instead of after a whole-utterance upload.

The session calls `frame(f)` for every caller frame (before reacting to the detector's events), then
`speech_started()`, `turn_ended()` (the `SpeechTurn` to `finish()`) or `noise()` as the detector decides.
With an STT that has no `open_turn`, every call is a no-op and `turn_ended()` answers None: the session
transcribes the utterance as before. The turn gets the same pre-roll the detector keeps. `partial` is what
the STT has heard of the turn so far, when it says (pocketsphinx does; for adaptive endpointing).
"""

from __future__ import annotations

from collections import deque

from app.voice.providers.base import EndsEarly, PartialHypotheses, SpeechToText, SpeechTurn, StreamingSpeechToText
from app.voice.vad import EndpointDetector


class TurnListener:
    def __init__(self, stt: SpeechToText, rate: int, language: str | None) -> None:
        self._stt = stt if isinstance(stt, StreamingSpeechToText) else None
        self.rate, self.language = rate, language
        self._preroll: deque[bytes] = deque(maxlen=EndpointDetector.PREROLL_FRAMES)
        self._turn: SpeechTurn | None = None
        # Read per frame, so the turn's abilities are checked once when it opens: a runtime Protocol check
        # costs microseconds, and at 200 calls it was a tenth of the event loop.
        self._partials: PartialHypotheses | None = None

    @property
    def streaming(self) -> bool:
        return self._stt is not None

    @property
    def hears_words(self) -> bool:
        """The STT says what it heard while the turn is spoken (barge-in can wait for words)."""
        return self._partials is not None

    @property
    def partial(self) -> str:
        partials = self._partials
        return partials.partial if partials is not None else ""

    def frame(self, frame: bytes) -> None:
        if self._stt is None:
            return
        if self._turn is None:
            self._preroll.append(frame)
        else:
            self._turn.push(frame)

    def speech_started(self) -> None:
        if self._stt is None:
            return
        if self._turn is not None:
            self._turn.cancel()
        self._turn = self._stt.open_turn(self.rate, self.language)
        self._partials = self._turn if isinstance(self._turn, PartialHypotheses) else None
        self._turn.push(b"".join(self._preroll))
        self._preroll.clear()

    def turn_ended(self) -> SpeechTurn | None:
        """Called from the audio path as the turn closes: a turn that can, asks for its transcript now."""
        turn, self._turn, self._partials = self._turn, None, None
        if isinstance(turn, EndsEarly):
            turn.end()
        return turn

    def noise(self) -> None:
        self.close()

    def close(self) -> None:
        turn, self._turn, self._partials = self._turn, None, None
        if turn is not None:
            turn.cancel()
