"""Barge-in in two steps: caller speech over the agent first *soft-pauses* it (no new audio leaves, nothing is
cleared), and only a confirmed interruption clears the carrier's buffer.

Confirmed: enough voiced speech (`confirm_voiced_ms`), or words heard that no backchannel contains once
`confirm_words_ms` of it was voiced; with an STT that gives no partial words, `confirm_blind_ms` of voiced
speech (a backchannel that long is then cleared too). Otherwise the agent resumes where it stopped as soon
as the caller has been quiet for `RESUME_MS`, with no words lost.
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
        if self.state in (BargeIn.NONE, BargeIn.CONFIRMED):
            return None
        if voiced:
            self.voiced_ms += self._frame_ms
            self.quiet_ms = 0
        else:
            self.quiet_ms += self._frame_ms
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

    def confirmed(self, partial: str, hears_words: bool = True) -> bool:
        """`hears_words` False: the STT gives no partial words, so voiced time alone decides (sooner). Words
        that are all backchannel ("haan ji", "okay okay") need twice the voiced time to count."""
        config = self._config
        if not hears_words:
            return self.voiced_ms >= config.confirm_blind_ms
        if partial.strip() and not self._backchannels.has_real_words(partial):
            return self.voiced_ms >= 2 * config.confirm_voiced_ms
        if self.voiced_ms >= config.confirm_voiced_ms:
            return True
        return self.voiced_ms >= config.confirm_words_ms and self._backchannels.has_real_words(partial)
