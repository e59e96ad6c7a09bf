"""A question's last words rise in pitch; a half sentence's fall or stay level. Read from real espeak-ng speech
(English and Hindi) and from tones whose pitch is known."""

from __future__ import annotations

import numpy as np
import pytest

from app.turn_taking.intonation import Ending, Intonation, pitch_track, rise_semitones
from tests.voice.speech import frames, spoken

RATE = 8000


def glide(start_hz: float, end_hz: float, ms: int = 400, rate: int = RATE) -> bytes:
    """A voiced-like buzz (harmonics) whose pitch moves from `start_hz` to `end_hz`."""
    t = np.arange(rate * ms // 1000) / rate
    f0 = np.linspace(start_hz, end_hz, len(t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    wave = sum(np.sin(k * phase) / k for k in range(1, 6))
    return (wave * 6000).astype("<i2").tobytes()


def ending_of(pcm: bytes) -> Ending:
    intonation = Intonation(RATE)
    for frame in frames(pcm, RATE):
        intonation.push(frame, voiced=np.abs(np.frombuffer(frame, dtype="<i2")).max() > 300)
    return intonation.ending()


def test_the_tracker_reads_a_known_pitch():
    f0 = pitch_track(np.frombuffer(glide(120, 120), dtype="<i2").astype(np.float64), RATE)
    assert len(f0) > 20 and np.allclose(f0, 120, rtol=0.03)


def test_a_glide_up_is_a_rise_a_glide_down_or_a_level_tone_is_not():
    assert ending_of(glide(100, 100, 200) + glide(100, 125, 200)) == Ending.RISING
    assert ending_of(glide(120, 90)) == Ending.OTHER
    assert ending_of(glide(110, 110)) == Ending.OTHER


def test_a_fall_ending_in_a_dip_is_not_read_as_a_rise_from_that_dip():
    """The low a rise is measured from lies before the last 40 ms: a falling end's own last dip (a creaky
    final vowel, as espeak-ng's Hindi "कि") does not count."""
    falling = np.array([100.0] * 10 + [97, 94, 92, 90, 89, 88, 87, 75])
    rise = rise_semitones(falling)
    assert rise is not None and rise < 0


def test_too_little_voice_to_tell_is_not_a_rise():
    assert ending_of(glide(100, 140, 60)) == Ending.OTHER
    assert rise_semitones(np.zeros(30)) is None


QUESTIONS = [
    ("What time do you open on Sunday?", "en"),
    ("Is the store open today?", "en"),
    ("Can I pay cash on delivery?", "en"),
    ("मेरा ऑर्डर कहाँ है?", "hi"),
    ("क्या आप रविवार को खुले हैं?", "hi"),
]
HALF_SENTENCES = [
    ("I would like to know about", "en"),
    ("My order number is", "en"),
    ("Please send the invoice to", "en"),
    ("मेरे ऑर्डर में", "hi"),
    ("मुझे लगता है कि", "hi"),
    ("क्या आप मुझे", "hi"),
]


@pytest.mark.parametrize(("text", "language"), QUESTIONS)
def test_a_spoken_question_ends_rising(text, language):
    assert ending_of(spoken(text, RATE, language)) == Ending.RISING


@pytest.mark.parametrize(("text", "language"), HALF_SENTENCES)
def test_a_half_sentence_said_on_its_own_does_not(text, language):
    assert ending_of(spoken(text, RATE, language)) == Ending.OTHER


def test_new_voice_after_a_reading_is_read_afresh_and_reset_forgets_the_turn():
    intonation = Intonation(RATE)
    for frame in frames(glide(120, 90), RATE):
        intonation.push(frame, True)
    assert intonation.ending() == Ending.OTHER
    for frame in frames(glide(90, 90, 200) + glide(90, 120, 200), RATE):
        intonation.push(frame, True)
    assert intonation.ending() == Ending.RISING
    intonation.reset()
    assert intonation.ending() == Ending.OTHER
