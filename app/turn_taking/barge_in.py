"""Barge-in in two steps: caller speech over the agent first *soft-pauses* it (no new audio leaves, nothing is
cleared), and only a confirmed interruption clears the carrier's buffer.

Confirmed: `confirm_ms` of voiced speech (by the neural VAD), sooner once the STT hears words that no
backchannel contains; words that are all backchannel hold it off; and only a single voice confirms
(`voicing.py`): sound whose first `ONSET_FRAMES` voiced frames are not periodic enough is BACKGROUND (a
crowd): the agent plays on, nothing is cleared, unless one clear voice emerges from it later. Otherwise the
agent resumes where it stopped as soon as the caller has been quiet for `RESUME_MS`. A confirmed
interruption that stops short (a backchannel after all) resumes too, from before the audio the `clear`
dropped (the session rewinds it).
"""

from __future__ import annotations

from collections import deque
from enum import Enum

from app.turn_taking.backchannel import MAX_WORDS, BackchannelClassifier
from app.turn_taking.config import TurnTakingConfig


class BargeIn(str, Enum):
    NONE = "none"  # the agent was quiet when the caller spoke, or the call has no pause pending
    PAUSED = "paused"  # soft pause: no new agent audio, nothing cleared
    RESUMED = "resumed"  # the caller went quiet before confirming: the agent plays on
    CONFIRMED = "confirmed"  # a real interruption: clear sent, the reply is dropped
    BACKGROUND = "background"  # voices, but not one clear voice (babble): the agent plays on, nothing cleared


class BargeInJudge:
    """One per call; `onset()` when speech starts over the agent, then `frame()` for every caller frame of that
    speech. Counting is in audio frames, never wall-clock time."""

    RESUME_MS = 200
    # a confirmed sound this short that stops is a backchannel, whatever the STT made of it, unless its words
    # ask the agent to stop ("wait", "no", "ruko"): offline STTs mishear "haan ji" as any 1-3 English words
    SHORT_MS = 800
    ONSET_FRAMES = 10  # the voiced frames from onset that decide single voice or background
    VOICE_AT_ONSET = 3  # strongly periodic frames among them that make it one voice
    VOICE_LATER = 7  # of the last `ONSET_FRAMES` voiced frames, for a voice emerging from background sound

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
        self.spoken_ms = 0  # since onset, voiced or not (consonants the VAD skips), until a quiet of RESUME_MS
        self._onset_periodic: list[bool] = []  # per voiced frame from onset, up to ONSET_FRAMES
        self._recent: deque[bool] = deque(maxlen=self.ONSET_FRAMES)

    def onset(self, voiced_ms: int, periodic: list[bool] | None = None) -> None:
        """`periodic`: whether each voiced frame that opened the speech was strongly periodic (None: all were)."""
        self.state = BargeIn.PAUSED
        self.voiced_ms, self.quiet_ms, self.spoken_ms = voiced_ms, 0, voiced_ms
        frames = [True] * (voiced_ms // self._frame_ms) if periodic is None else list(periodic)
        self._onset_periodic = frames[: self.ONSET_FRAMES]
        self._recent = deque(frames, maxlen=self.ONSET_FRAMES)

    def reset(self) -> None:
        self.state = BargeIn.NONE
        self.voiced_ms = self.quiet_ms = self.spoken_ms = 0
        self._onset_periodic, self._recent = [], deque(maxlen=self.ONSET_FRAMES)

    @property
    def judging_voice(self) -> bool:
        """Whether the next voiced frame's periodicity is needed (only while speech over the agent is judged)."""
        return self.state in (BargeIn.PAUSED, BargeIn.RESUMED, BargeIn.BACKGROUND)

    @property
    def single_voice(self) -> bool | None:
        """One clear voice (True), background voices (False), or not known yet (None)."""
        heard = sum(self._onset_periodic)
        if heard >= self.VOICE_AT_ONSET:
            return True
        return False if len(self._onset_periodic) >= self.ONSET_FRAMES else None

    def frame(self, voiced: bool, partial: str, hears_words: bool = True, periodic: bool = True) -> BargeIn | None:
        """The change this frame causes (PAUSED again, RESUMED, CONFIRMED or BACKGROUND), or None. `periodic`:
        this voiced frame is strongly periodic (`voicing.is_periodic`)."""
        if self.state == BargeIn.NONE:
            return None
        if voiced:
            self.voiced_ms += self._frame_ms
            self.quiet_ms = 0
            if len(self._onset_periodic) < self.ONSET_FRAMES:
                self._onset_periodic.append(periodic)
            self._recent.append(periodic)
        else:
            self.quiet_ms += self._frame_ms
        self.spoken_ms = self.spoken_ms + self._frame_ms if self.quiet_ms < self.RESUME_MS else 0
        if self.state == BargeIn.CONFIRMED:
            return self._second_thoughts(partial, hears_words)
        if self.state == BargeIn.BACKGROUND:
            if voiced and sum(self._recent) >= self.VOICE_LATER:  # a voice out of the crowd: judge it afresh
                self._onset_periodic = list(self._recent)
                self.state = BargeIn.PAUSED
                return self.state
            return None
        if self.single_voice is False:
            self.state = BargeIn.BACKGROUND
            return self.state
        if self.single_voice and self.confirmed(partial, hears_words):
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
        """A confirmed interruption that stopped short: the caller quiet for `RESUME_MS` after speech whose
        words, as far as the STT heard them, are a backchannel, or after less than `SHORT_MS` of speech with at
        most `MAX_WORDS` words, none asking the agent to stop. The agent resumes (the session replays what the
        clear dropped); the turn's final words can still interrupt."""
        if self.quiet_ms != self.RESUME_MS or not hears_words:
            return None
        words = partial.strip()
        backchannel = bool(words) and not self._backchannels.has_real_words(partial)
        short = self.voiced_ms < self.SHORT_MS and self._backchannels.may_be_backchannel(partial, MAX_WORDS)
        if backchannel or short:
            self.state = BargeIn.RESUMED
            return self.state
        return None

    def confirmed(self, partial: str, hears_words: bool = True) -> bool:
        """`confirm_ms` of voiced speech confirms, sooner (`confirm_words_ms`) once words are heard; with
        `trust_partials`, words that are all backchannel ("haan ji", "okay") hold it off until
        `backchannel_hold_ms` (an untrusted "oh" may be "Hold on").
        Streaming STTs seldom have a word in the first 300 ms, so time decides most: `confirm_ms` of speech
        counts too when two thirds of it was voiced ("Excuse me" opens with consonants the VAD calls quiet)."""
        config = self._config
        if hears_words and partial.strip():
            if config.trust_partials and not self._backchannels.has_real_words(partial):
                return self.voiced_ms >= config.backchannel_hold_ms
            return self.voiced_ms >= config.confirm_words_ms
        mostly_voiced = self.spoken_ms >= config.confirm_ms and 3 * self.voiced_ms >= 2 * config.confirm_ms
        return self.voiced_ms >= config.confirm_ms or mostly_voiced
