"""Turn-taking: webrtcvad finds speech in 20 ms frames; the endpointing window decides the turn is over."""

from __future__ import annotations

import pytest

from app.voice.vad import EndpointConfig, EndpointDetector, TurnEvent, VoiceActivityDetector
from tests.voice.speech import noise_frames, silent_frames, speech_frames


def run(detector: EndpointDetector, vad: VoiceActivityDetector, frames: list[bytes]) -> list[tuple[int, TurnEvent]]:
    events = []
    for index, frame in enumerate(frames):
        for event in detector.push(frame, vad.is_speech(frame)):
            events.append((index, event))
    return events


@pytest.mark.parametrize("rate", [8000, 16000, 24000])
def test_vad_hears_speech_and_not_silence(rate):
    vad = VoiceActivityDetector(rate, aggressiveness=2)
    voiced = [vad.is_speech(f) for f in speech_frames("hello there, I would like a sofa", rate)]
    assert sum(voiced) > len(voiced) / 2
    after = [vad.is_speech(f) for f in silent_frames(600, rate)]
    assert not any(after[-15:])  # webrtcvad's hangover fades within a few frames


def test_aggressiveness_is_validated():
    with pytest.raises(ValueError):
        VoiceActivityDetector(8000, aggressiveness=4)


def test_a_sentence_followed_by_the_endpointing_window_is_one_turn():
    vad = VoiceActivityDetector(16000)
    detector = EndpointDetector(EndpointConfig(endpoint_ms=600))
    speech = speech_frames("Yes, I was looking at that desk. Is it still available?")
    events = run(detector, vad, silent_frames(100) + speech + silent_frames(1000))
    kinds = [event for _, event in events]
    assert kinds == [TurnEvent.SPEECH_STARTED, TurnEvent.TURN_ENDED]
    ended_at = events[1][0]
    # the turn ends about 600 ms (30 frames) after the last voiced frame (plus webrtcvad's short hangover)
    assert 5 + len(speech) + 25 < ended_at <= 5 + len(speech) + 45
    audio = detector.take_audio()
    assert len(audio) >= len(b"".join(speech)) * 0.8


def test_pauses_between_words_shorter_than_the_window_do_not_end_the_turn():
    vad = VoiceActivityDetector(16000)
    detector = EndpointDetector(EndpointConfig(endpoint_ms=600))
    frames = speech_frames("I want") + silent_frames(400) + speech_frames("a blue sofa") + silent_frames(800)
    kinds = [event for _, event in run(detector, vad, frames)]
    assert kinds == [TurnEvent.SPEECH_STARTED, TurnEvent.TURN_ENDED]


def test_the_window_is_configurable():
    vad = VoiceActivityDetector(16000)
    short = EndpointDetector(EndpointConfig(endpoint_ms=200))
    frames = speech_frames("I want") + silent_frames(400) + speech_frames("a blue sofa") + silent_frames(800)
    kinds = [event for _, event in run(short, vad, frames)]
    assert kinds.count(TurnEvent.TURN_ENDED) == 2


def test_a_short_noise_never_opens_or_ends_a_turn():
    vad = VoiceActivityDetector(16000)
    detector = EndpointDetector()
    kinds = [e for _, e in run(detector, vad, silent_frames(200) + noise_frames(100) + silent_frames(1000))]
    assert TurnEvent.TURN_ENDED not in kinds
    assert kinds in ([], [TurnEvent.SPEECH_STARTED, TurnEvent.NOISE])


def test_a_single_click_does_not_even_start_speech():
    detector = EndpointDetector(EndpointConfig(start_ms=60))
    assert detector.push(b"", True) == []
    assert detector.push(b"", False) == []
    assert not detector.in_speech
