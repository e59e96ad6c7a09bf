"""The endpointing that turns voiced/unvoiced 20 ms frames into caller turns (the detectors themselves live
in `app.turn_taking.detectors`; `VoiceActivityDetector` is the webrtcvad one)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.turn_taking.detectors import WebRtcDetector
from app.voice.audio import FRAME_MS

VoiceActivityDetector = WebRtcDetector


class TurnEvent(str, Enum):
    SPEECH_STARTED = "speech_started"  # enough voiced audio to be someone talking (barge-in trigger)
    TURN_ENDED = "turn_ended"  # the endpointing window of silence followed real speech
    NOISE = "noise"  # speech started but was too short to be a turn (cough, click)


@dataclass(frozen=True)
class EndpointConfig:
    start_ms: int = 60  # consecutive voiced audio that opens speech
    endpoint_ms: int = 600  # silence that closes a turn
    min_speech_ms: int = 200  # voiced audio a turn needs; shorter is noise


class EndpointDetector:
    """Frame-counting endpointer: decisions depend on audio time only, never on wall-clock time.

    `push(voiced)` returns the events this frame caused. The audio of the current turn (from a little
    before speech start) is kept so STT gets the whole utterance.
    """

    PREROLL_FRAMES = 10

    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        self._start_frames = max(1, self.config.start_ms // FRAME_MS)
        self._end_frames = max(1, self.config.endpoint_ms // FRAME_MS)
        self._min_frames = max(1, self.config.min_speech_ms // FRAME_MS)
        self.in_speech = False
        self._voiced_run = 0
        self._voiced_total = 0
        self._silence_run = 0
        self._audio: list[bytes] = []
        self.frames_in_turn = 0

    def push(self, frame: bytes, voiced: bool, endpoint_ms: int | None = None) -> list[TurnEvent]:
        """`endpoint_ms`: the silence that closes the turn as of this frame (adaptive endpointing reads it from
        the transcript so far); None keeps the configured one."""
        if not self.in_speech:
            self._audio.append(frame)
            if len(self._audio) > self.PREROLL_FRAMES:
                del self._audio[0]
            self._voiced_run = self._voiced_run + 1 if voiced else 0
            if self._voiced_run >= self._start_frames:
                self.in_speech = True
                self._voiced_total = self._voiced_run
                self._silence_run = 0
                return [TurnEvent.SPEECH_STARTED]
            return []
        self._audio.append(frame)
        if voiced:
            self._voiced_total += 1
            self._silence_run = 0
            return []
        self._silence_run += 1
        end_frames = self._end_frames if endpoint_ms is None else max(1, endpoint_ms // FRAME_MS)
        if self._silence_run < end_frames:
            return []
        self.in_speech = False
        self._voiced_run = 0
        self.frames_in_turn = len(self._audio)
        if self._voiced_total >= self._min_frames:
            return [TurnEvent.TURN_ENDED]
        self._audio.clear()
        return [TurnEvent.NOISE]

    @property
    def silence_ms(self) -> int:
        """Silence so far since the caller's last voiced frame in the current speech."""
        return self._silence_run * FRAME_MS if self.in_speech else 0

    @property
    def voiced_ms(self) -> int:
        """Voiced audio so far in the current (or just ended) speech."""
        return self._voiced_total * FRAME_MS

    def take_audio(self) -> bytes:
        """The audio of the turn that just ended (trailing silence trimmed to 200 ms)."""
        keep = len(self._audio) - max(0, self._silence_run - 10)
        audio = b"".join(self._audio[:keep])
        self._audio.clear()
        return audio
