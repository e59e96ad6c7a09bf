"""Answering-machine detection for outbound calls: a long greeting followed by a beep.

A beep is a steady pure tone (one dominant frequency, 400-2500 Hz) lasting at least 200 ms. Speech has
energy spread over many harmonics, so it never looks like one. Only the first seconds of a call are watched.

A box that never beeps is recognised by its greeting alone when the flow has a message to leave
(`GreetingWatch`): a first utterance as long as a machine's greeting, then the end of it (about 1.3 s of
silence) is when the box records; a beep still starts the message at once, and a cap stops the wait.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from app.voice.audio import FRAME_MS, to_array


class BeepDetector:
    def __init__(
        self,
        rate: int,
        min_ms: int = 200,
        low_hz: float = 400,
        high_hz: float = 2500,
        purity: float = 0.6,
        min_rms: float = 300,
    ) -> None:
        self.rate = rate
        self._needed = max(1, min_ms // FRAME_MS)
        self.low, self.high, self.purity, self.min_rms = low_hz, high_hz, purity, min_rms
        self._run = 0
        self._frequency: float | None = None

    def tone_frequency(self, frame: bytes) -> float | None:
        """The frame's frequency if it is a pure tone in the beep band, else None."""
        samples = to_array(frame).astype(np.float64)
        if samples.size == 0 or np.sqrt(np.mean(samples**2)) < self.min_rms:
            return None
        power = np.abs(np.fft.rfft(samples * np.hanning(samples.size))) ** 2
        peak = int(np.argmax(power))
        share = power[max(0, peak - 2) : peak + 3].sum() / power.sum()
        frequency = peak * self.rate / samples.size
        return frequency if share >= self.purity and self.low <= frequency <= self.high else None

    def push(self, frame: bytes) -> bool:
        frequency = self.tone_frequency(frame)
        if frequency is None or (self._frequency is not None and abs(frequency - self._frequency) > 60):
            self._run = 0
            self._frequency = frequency
            if frequency is not None:
                self._run = 1
            return False
        self._frequency = frequency
        self._run += 1
        return self._run >= self._needed


class VoicemailCue(str, Enum):
    """What the detector concluded from a frame; the last three mean: the box records now."""

    MACHINE_GREETING = "machine_greeting"  # a greeting as long as a machine's: wait for the beep or its end
    BEEP = "beep"
    GREETING_ENDED = "greeting_ended"  # a machine's greeting, then silence, and no beep
    WAIT_OVER = "wait_over"  # neither came within the cap after the machine's greeting was heard


class GreetingState(str, Enum):
    WAITING = "waiting"  # nothing said yet
    SPEAKING = "speaking"  # the first utterance, not yet as long as a machine's greeting
    MACHINE = "machine"  # a machine's greeting: waiting for its end
    HUMAN = "human"  # the first utterance ended short: a person (or a box that beeps)
    OVER = "over"  # the end (or the cap) came


class GreetingWatch:
    """The first utterance of an outbound call judged by its length, as answering-machine detection does
    (Twilio's speech and end thresholds): at least `machine_ms` of voice before a pause of `end_silence_ms`
    is a machine's greeting, and that pause is its end. Pure: one call per 20 ms frame, the call's VAD says
    whether the frame is voiced."""

    def __init__(self, machine_ms: int = 2500, end_silence_ms: int = 1300, cap_ms: int = 10000) -> None:
        self._machine = machine_ms // FRAME_MS
        self._end = end_silence_ms // FRAME_MS
        self._cap = cap_ms // FRAME_MS
        self.state = GreetingState.WAITING
        self._voiced = 0
        self._quiet = 0
        self._waited = 0

    def push(self, voiced: bool) -> VoicemailCue | None:
        state = self.state
        if state in (GreetingState.HUMAN, GreetingState.OVER) or (state == GreetingState.WAITING and not voiced):
            return None
        self._quiet = 0 if voiced else self._quiet + 1
        if state != GreetingState.MACHINE:
            self._voiced += voiced
            if self._voiced >= self._machine:
                self.state = GreetingState.MACHINE
                return VoicemailCue.MACHINE_GREETING
            self.state = GreetingState.HUMAN if self._quiet >= self._end else GreetingState.SPEAKING
            return None
        self._waited += 1
        if self._quiet >= self._end:
            self.state = GreetingState.OVER
            return VoicemailCue.GREETING_ENDED
        if self._waited >= self._cap:
            self.state = GreetingState.OVER
            return VoicemailCue.WAIT_OVER
        return None


class VoicemailDetector:
    """`BEEP` once a beep follows at least `min_greeting_ms` of voiced, non-tonal audio within the window.
    With a `greeting` watch (the flow leaves a message), also the machine's greeting, its end and the cap."""

    def __init__(
        self,
        rate: int,
        min_greeting_ms: int = 2000,
        window_ms: int = 40000,
        greeting: GreetingWatch | None = None,
    ) -> None:
        self._beeps = BeepDetector(rate)
        self._min_greeting = min_greeting_ms // FRAME_MS
        self._window = window_ms // FRAME_MS
        self._greeting = greeting
        self._frames = 0
        self._voiced = 0

    @property
    def watching(self) -> bool:
        """Within the first seconds, or waiting for the end of a machine's greeting (the cap ends that)."""
        greeting = self._greeting
        return self._frames < self._window or (greeting is not None and greeting.state == GreetingState.MACHINE)

    def push(self, frame: bytes, voiced: bool) -> VoicemailCue | None:
        self._frames += 1
        if not self.watching:
            return None
        beep = self._beeps.push(frame)
        tonal = self._beeps.tone_frequency(frame) is not None
        if voiced and not tonal:
            self._voiced += 1
        if beep and self._voiced >= self._min_greeting:
            return VoicemailCue.BEEP
        return self._greeting.push(voiced and not tonal) if self._greeting is not None else None
