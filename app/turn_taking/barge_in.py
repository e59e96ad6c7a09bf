"""Barge-in in two steps: caller speech over the agent first *soft-pauses* it (no new audio leaves, nothing is
cleared), and only a confirmed interruption clears the carrier's buffer.

Confirmed: `confirm_ms` of voiced speech (by the neural VAD), sooner once the STT hears words that no
backchannel contains; words that are all backchannel hold it off. Otherwise the agent resumes where it
stopped as soon as the caller has been quiet for `RESUME_MS`. A confirmed interruption that turns out to be
a backchannel after all resumes too, from before the audio the `clear` dropped (the session rewinds it).
"""

from __future__ import annotations

from enum import Enum

from app.turn_taking.backchannel import BackchannelClassifier
from app.turn_taking.config import TurnTakingConfig


class BargeIn(str, Enum):
    NONE = "none"  # the agent was quiet when the caller spoke, or the call has no pause pending
    PAUSED = "paused"  # soft pause: no new agent audio, nothing cleared
    RESUMED = "resumed"  # the caller went quiet before confirming: the agent plays on
    CONFIRMED = "confirmed"  # a real interruption: clear sent, the reply is dropped


class BargeInJudge:
    """One per call; `onset()` when speech starts over the agent, then `frame()` for every caller frame of that
    speech. Counting is in audio frames, never wall-clock time."""

    RESUME_MS = 200
    SHORT_MS = 500  # a confirmed sound this short with no words heard yet is given the benefit of the doubt

    def __init__(
        self,
        config: TurnTakingConfig,
        backchannels: BackchannelClassifier,
        frame_ms: int = 20,
    ) -> None:
        self._config = config
        self._backchannels = backchannels
        self._frame_ms = frame_ms
        self.state = BargeIn.NONE
        self.voiced_ms = 0
        self.quiet_ms = 0

    def onset(self, voiced_ms: int) -> None:
        self.state = BargeIn.PAUSED
        self.voiced_ms, self.quiet_ms = voiced_ms, 0

    def reset(self) -> None:
        self.state = BargeIn.NONE
        self.voiced_ms = self.quiet_ms = 0

    def frame(self, voiced: bool, partial: str, hears_words: bool = True) -> BargeIn | None:
        """The change this frame causes (PAUSED again, RESUMED or CONFIRMED), or None."""
        if self.state == BargeIn.NONE:
            return None
        if voiced:
            self.voiced_ms += self._frame_ms
            self.quiet_ms = 0
        else:
            self.quiet_ms += self._frame_ms
        if self.state == BargeIn.CONFIRMED:
            return self._second_thoughts(partial, hears_words)
        if self.confirmed(partial, hears_words):
            self.state = BargeIn.CONFIRMED
            return self.state
        if self.state == BargeIn.PAUSED and self.quiet_ms >= self.RESUME_MS:
            self.state = BargeIn.RESUMED
            return self.state
        if self.state == BargeIn.RESUMED and voiced:
            self.state = BargeIn.PAUSED
            return self.state
        return None

    def _second_thoughts(self, partial: str, hears_words: bool) -> BargeIn | None:
        """A confirmed interruption that stopped short: the caller quiet for `RESUME_MS` after little speech
        whose words, as far as the STT heard them, are a backchannel (or none yet, under `SHORT_MS`). The agent
        resumes (the session replays what the clear dropped); the turn's final words can still interrupt."""
        if self.quiet_ms != self.RESUME_MS or not hears_words:
            return None
        words = partial.strip()
        backchannel = bool(words) and not self._backchannels.has_real_words(partial)
        if backchannel or (not words and self.voiced_ms < self.SHORT_MS):
            self.state = BargeIn.RESUMED
            return self.state
        return None

    def confirmed(self, partial: str, hears_words: bool = True) -> bool:
        """`confirm_ms` of voiced speech confirms, sooner (`confirm_words_ms`) once words no backchannel holds
        are heard; words that are all backchannel ("haan ji", "okay") hold it off until `backchannel_hold_ms`.
        Streaming STTs seldom have a word in the first 300 ms, so time decides most."""
        config = self._config
        if hears_words and partial.strip():
            if not self._backchannels.has_real_words(partial):
                return self.voiced_ms >= config.backchannel_hold_ms
            return self.voiced_ms >= config.confirm_words_ms
        return self.voiced_ms >= config.confirm_ms
