"""Audio basics: 20 ms framing, resampling between the telephone rates, mu-law and loudness."""

from __future__ import annotations

import numpy as np
import pytest

from app.voice.audio import FrameSplitter, frame_bytes, mulaw_decode, mulaw_encode, resample, rms, silence, tone


def test_a_frame_is_20_ms_of_16_bit_mono():
    assert frame_bytes(8000) == 320
    assert frame_bytes(16000) == 640
    assert frame_bytes(24000) == 960


@pytest.mark.parametrize("src,dst", [(8000, 16000), (16000, 8000), (24000, 8000), (16000, 24000), (24000, 16000)])
def test_resampling_keeps_duration_and_pitch(src, dst):
    pcm = tone(src, 500, frequency=300)
    out = resample(pcm, src, dst)
    assert len(out) // 2 == dst // 2
    samples = np.frombuffer(out, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples))
    peak_hz = np.argmax(spectrum) * dst / len(samples)
    assert abs(peak_hz - 300) < 10


def test_same_rate_is_untouched():
    pcm = tone(8000, 20)
    assert resample(pcm, 8000, 8000) is pcm


def test_mulaw_round_trip_is_close():
    pcm = tone(8000, 100, amplitude=12000)
    encoded = mulaw_encode(pcm)
    assert len(encoded) == len(pcm) // 2
    decoded = np.frombuffer(mulaw_decode(encoded), dtype="<i2").astype(float)
    original = np.frombuffer(pcm, dtype="<i2").astype(float)
    assert np.max(np.abs(decoded - original)) < 12000 * 0.05


def test_mulaw_known_values():
    assert mulaw_encode(np.array([0], dtype="<i2").tobytes()) == b"\xff"
    assert mulaw_decode(b"\xff") == b"\x00\x00"
    assert np.frombuffer(mulaw_decode(b"\x80"), dtype="<i2")[0] == 32124


def test_rms_of_silence_and_tone():
    assert rms(silence(8000)) == 0
    assert rms(b"") == 0
    assert 6000 / 2**0.5 * 0.95 < rms(tone(8000, 100, amplitude=6000)) < 6000 / 2**0.5 * 1.05


def test_frame_splitter_rechunks_100_ms_exotel_frames_into_20_ms():
    splitter = FrameSplitter(8000)
    frames = splitter.push(bytes(1600)) + splitter.push(bytes(500))
    assert len(frames) == 6 and all(len(f) == 320 for f in frames)
    last = splitter.flush()
    assert len(last) == 1 and len(last[0]) == 320
    assert splitter.flush() == []
