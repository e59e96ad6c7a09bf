"""The detectors on real synthetic speech and on noise, and the denoiser's effect on steady noise."""

from __future__ import annotations

import numpy as np
import pytest

from app.turn_taking.config import VadKind
from app.turn_taking.denoise import PassThrough, SpeexDenoiser, denoiser
from app.turn_taking.detectors import SileroDetector, WebRtcDetector, voice_detector
from tests.voice.speech import frames, noise_frames, silent_frames, spoken

RATE = 8000


def voiced_share(detector, chunk: list[bytes]) -> float:
    return sum(detector.is_speech(frame) for frame in chunk) / len(chunk)


def speech_in(
    snr_db: float | None,
    text: str = "I would like to know the status of my loan application",
) -> bytes:
    clean = np.frombuffer(spoken(text, RATE), dtype="<i2").astype(np.float64)
    if snr_db is None:
        return clean.astype("<i2").tobytes()
    noise = np.random.default_rng(3).normal(0, 1, len(clean)) * np.sqrt(np.mean(clean**2) / 10 ** (snr_db / 10))
    return np.clip(clean + noise, -32768, 32767).astype("<i2").tobytes()


@pytest.mark.parametrize("kind", list(VadKind))
def test_both_detectors_hear_speech(kind):
    detector = voice_detector(kind, RATE)
    assert voiced_share(detector, frames(speech_in(None), RATE)) > 0.6


def test_silero_ignores_loud_white_noise_that_webrtcvad_calls_voice():
    noise = noise_frames(1500, RATE, level=3000)
    assert voiced_share(WebRtcDetector(RATE, 2), noise) > 0.5
    assert voiced_share(SileroDetector(RATE), noise) < 0.1


def test_silero_sleeps_on_a_quiet_line():
    detector = SileroDetector(RATE)
    assert voiced_share(detector, silent_frames(2000, RATE)) == 0
    assert detector.windows_run == 0


def test_silero_at_24_khz_goes_through_16_khz():
    text = "hello there, how are you doing today"
    assert voiced_share(SileroDetector(24000), frames(spoken(text, 24000), 24000)) > 0.5


def test_speex_suppresses_steady_noise_once_it_has_learnt_it():
    noisy = frames(np.random.default_rng(5).normal(0, 800, RATE * 3).astype("<i2").tobytes(), RATE)
    cleaner = SpeexDenoiser(always=True)
    out = [cleaner.clean(frame) for frame in noisy]
    level = float(np.sqrt(np.mean(np.frombuffer(b"".join(out[-50:]), dtype="<i2").astype(np.float64) ** 2)))
    assert level < 800 / 4  # at least 12 dB quieter after a couple of seconds
    assert all(len(a) == len(b) for a, b in zip(out, noisy, strict=False))


def test_speech_still_reads_as_speech_after_the_denoiser():
    cleaner, detector = SpeexDenoiser(always=True), SileroDetector(RATE)
    cleaned = [cleaner.clean(frame) for frame in frames(speech_in(10), RATE)]
    assert voiced_share(detector, cleaned) > 0.6


def test_a_clean_line_is_not_suppressed_at_all():
    cleaner = SpeexDenoiser()
    audio = frames(speech_in(None) * 3, RATE)  # ten seconds of talking
    assert [cleaner.clean(frame) for frame in audio] == audio
    assert not cleaner.suppressing


def test_a_noisy_line_is_suppressed_from_its_second_second_on():
    noisy = frames(np.random.default_rng(7).normal(0, 800, RATE * 4).astype("<i2").tobytes(), RATE)
    cleaner = SpeexDenoiser()
    out = [cleaner.clean(frame) for frame in noisy]
    assert out[:49] == noisy[:49]  # a second of watching the floor
    assert cleaner.suppressing
    level = float(np.sqrt(np.mean(np.frombuffer(b"".join(out[-50:]), dtype="<i2").astype(np.float64) ** 2)))
    assert level < 800 / 4


def test_noise_suppression_off_passes_audio_through():
    assert isinstance(denoiser(False), PassThrough)
    assert denoiser(False).clean(b"\x01\x02" * 160) == b"\x01\x02" * 160
