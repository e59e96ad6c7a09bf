"""The caller's side of turn-taking for one call: each 20 ms frame is denoised, judged voiced or not, streamed
to the STT, and turned into cues for the session (issue 15).

- `SPEECH_STARTED` / `TURN_ENDED` / `NOISE`: as the endpoint detector decides; the silence that ends a turn
  is re-read every frame from the partial transcript and, once the caller has been quiet for a moment, from
  how their last words ended in pitch (`EndpointPolicy`, `Intonation`).
- Over the agent: `SOFT_PAUSE` at onset (stop sending new audio, nothing cleared), then `INTERRUPT` once the
  `BargeInJudge` confirms it (send `clear`), or `RESUME` once the caller is quiet again unconfirmed, or at
  once when it is background voices rather than one clear voice (babble: that speech then ends as `NOISE`,
  not a turn). Without `soft_barge_in` (the legacy preset) onset is `INTERRUPT` at once, as before.
- `DRAFT`: the caller has gone quiet and the partial transcript is worth answering: the session may draft the
  reply now and play it only if the turn ends with those words. `DRAFT_DROPPED`: the caller went on.
"""

from __future__ import annotations

import logging
from collections import deque
from enum import Enum

from app.turn_taking.backchannel import BackchannelClassifier
from app.turn_taking.barge_in import BargeIn, BargeInJudge
from app.turn_taking.config import TurnTakingConfig
from app.turn_taking.denoise import Denoiser, denoiser
from app.turn_taking.detectors import VoiceDetector, voice_detector
from app.turn_taking.endpointing import EndpointPolicy, read_turn
from app.turn_taking.intonation import Ending, Intonation
from app.turn_taking.voicing import is_periodic
from app.voice.providers.listening import TurnListener
from app.voice.vad import EndpointConfig, EndpointDetector, TurnEvent

log = logging.getLogger("app.voice.session")


class CallerCue(str, Enum):
    SPEECH_STARTED = "speech_started"
    SOFT_PAUSE = "soft_pause"
    RESUME = "resume"
    INTERRUPT = "interrupt"
    DRAFT = "draft"
    DRAFT_DROPPED = "draft_dropped"
    TURN_ENDED = "turn_ended"
    NOISE = "noise"


_BARGE_IN_CUES = {
    BargeIn.PAUSED: CallerCue.SOFT_PAUSE,
    BargeIn.RESUMED: CallerCue.RESUME,
    BargeIn.CONFIRMED: CallerCue.INTERRUPT,
    BargeIn.BACKGROUND: CallerCue.RESUME,
}


class CallerTurns:
    DRAFT_AT_MS = 160  # silence after which a partial transcript is drafted against
    PITCH_AT_MS = 100  # silence after which the last words' pitch is read (shorter gaps are inside words)
    live = 0  # callers this process is listening to now: `vad: auto` chooses by it

    def __init__(
        self,
        config: TurnTakingConfig,
        rate: int,
        endpoint: EndpointConfig,
        listener: TurnListener,
        vad_aggressiveness: int = 2,
    ) -> None:
        self.config = config
        self.rate = rate
        self.denoiser: Denoiser = denoiser(config.noise_suppression)
        self.vad: VoiceDetector = voice_detector(config.vad, rate, vad_aggressiveness, calls=CallerTurns.live)
        CallerTurns.live += 1
        self._open = True
        self.endpoint = EndpointDetector(endpoint)
        self.policy = EndpointPolicy(config)
        self.intonation = Intonation(rate)
        self.backchannels = BackchannelClassifier(config.extra_backchannels())
        self.judge = BargeInJudge(config, self.backchannels)
        self.listener = listener
        self.drafted: str | None = None  # the partial a DRAFT cue named, until the turn ends or goes on
        self.endpoint_used_ms = endpoint.endpoint_ms  # the closing silence of the last turn that ended
        # the frames that may open speech over the agent, for the judge's single-voice test at onset
        self._opening: deque[bytes] = deque(maxlen=max(1, endpoint.start_ms // 20))

    def clean(self, frame: bytes) -> bytes:
        return self.denoiser.clean(frame)

    def is_speech(self, frame: bytes) -> bool:
        return self.vad.is_speech(frame)

    def push(self, frame: bytes, voiced: bool, agent_active: bool) -> list[CallerCue]:
        """`frame` as `clean` returned it; `agent_active`: the agent is thinking or speaking right now."""
        self.listener.frame(frame)
        partial = self.listener.partial
        cues: list[CallerCue] = []
        endpoint_ms = self.policy.silence_ms(partial, self._ending()) if self.endpoint.in_speech else None
        if self.config.soft_barge_in and not self.endpoint.in_speech:
            self._opening.append(frame)
        events = self.endpoint.push(frame, voiced, endpoint_ms)
        self.intonation.push(frame, voiced)
        if self.endpoint.in_speech and TurnEvent.SPEECH_STARTED not in events:
            periodic = voiced and self.judge.judging_voice and is_periodic(frame, self.rate)
            cues += self._during_speech(voiced, partial, agent_active, endpoint_ms, periodic)
        for event in events:
            if event == TurnEvent.SPEECH_STARTED:
                self.listener.speech_started()
                cues.append(CallerCue.SPEECH_STARTED)
                if agent_active:
                    if self.config.soft_barge_in:
                        opening = [is_periodic(f, self.rate) for f in self._opening]
                        self.judge.onset(self.endpoint.voiced_ms, opening)
                        cues.append(CallerCue.SOFT_PAUSE)
                    else:
                        cues.append(CallerCue.INTERRUPT)
            elif event == TurnEvent.TURN_ENDED and self.judge.state == BargeIn.BACKGROUND:
                log.debug("speech over the agent ended as background voices (%d ms voiced)", self.judge.voiced_ms)
                cues += self._noise()
            elif event == TurnEvent.TURN_ENDED:
                log.debug(  # the caller's words: debug only
                    "turn ended after %d ms of silence: %r reads %s, ends %s, barge-in %s, %d ms voiced",
                    endpoint_ms or 0,
                    partial,
                    read_turn(partial).value,
                    self.intonation.ending().value,
                    self.judge.state.value,
                    self.endpoint.voiced_ms,
                )
                self.judge.reset()
                self.intonation.reset()
                self.drafted = None
                if endpoint_ms is not None:
                    self.endpoint_used_ms = endpoint_ms
                cues.append(CallerCue.TURN_ENDED)
            else:
                cues += self._noise()
        return cues

    def _ending(self) -> Ending:
        cue_off = self.config.rising_endpoint_ms >= self.config.endpoint_ms
        if cue_off or self.endpoint.silence_ms < self.PITCH_AT_MS:
            return Ending.OTHER
        return self.intonation.ending()

    def _noise(self) -> list[CallerCue]:
        self.judge.reset()
        self.intonation.reset()
        self.listener.noise()
        self.endpoint.take_audio()
        cues = []
        if self.drafted is not None:
            self.drafted = None
            cues.append(CallerCue.DRAFT_DROPPED)
        return [*cues, CallerCue.NOISE]

    def _during_speech(
        self, voiced: bool, partial: str, agent_active: bool, endpoint_ms: int | None, periodic: bool
    ) -> list[CallerCue]:
        cues: list[CallerCue] = []
        change = self.judge.frame(voiced, partial, self.listener.hears_words, periodic)
        if change is not None:
            cues.append(_BARGE_IN_CUES[change])
        if voiced and self.drafted is not None:
            self.drafted = None
            cues.append(CallerCue.DRAFT_DROPPED)
        elif (
            not voiced
            and self.config.preemptive_reply
            and not agent_active
            and self.judge.state != BargeIn.BACKGROUND
            and partial.strip()
            and partial != self.drafted
            and self.endpoint.silence_ms >= self.DRAFT_AT_MS
            and (endpoint_ms or 0) > self.endpoint.silence_ms
        ):
            if self.drafted is not None:  # the STT revised what it heard: draft that instead
                cues.append(CallerCue.DRAFT_DROPPED)
            self.drafted = partial
            cues.append(CallerCue.DRAFT)
        return cues

    def take_turn(self) -> tuple[bytes, int]:
        """The ended turn's audio and its length in frames; the draft, if any, stays for the session to match."""
        return self.endpoint.take_audio(), self.endpoint.frames_in_turn

    def close(self) -> None:
        self.listener.close()
        if self._open:
            self._open = False
            CallerTurns.live -= 1
