"""Voicemail on outbound calls: a long recorded greeting, then the beep, ends the call as `voicemail`."""

from __future__ import annotations

from app.calls.contract import CallType
from app.voice.vad import VoiceActivityDetector
from app.voice.voicemail import BeepDetector, VoicemailDetector
from tests.voice.harness import RATE, Call
from tests.voice.speech import noise_frames, silent_frames, speech_frames, tone_frames

GREETING = "Hi, you have reached Priya. I cannot take your call right now, please leave a message after the tone."


def test_a_beep_is_a_steady_pure_tone_and_speech_is_not():
    beeps = BeepDetector(RATE)
    assert any(beeps.push(f) for f in tone_frames(300, RATE, 1000))
    for frames in (speech_frames(GREETING), noise_frames(500), tone_frames(300, RATE, 150)):
        detector = BeepDetector(RATE)
        assert not any(detector.push(f) for f in frames)
    short = BeepDetector(RATE)
    assert not any(short.push(f) for f in tone_frames(100, RATE, 1000))


def test_a_beep_without_a_long_greeting_before_it_is_not_voicemail():
    vad, detector = VoiceActivityDetector(RATE), VoicemailDetector(RATE)
    frames = speech_frames("Hello?") + tone_frames(400, RATE, 1000)
    assert not any(detector.push(f, vad.is_speech(f)) for f in frames)


async def test_an_outbound_call_answered_by_voicemail_ends_with_outcome_voicemail():
    call = await Call.make(call_type=CallType.OUTBOUND).start()
    await call.feed(speech_frames(GREETING) + silent_frames(200) + tone_frames(500, RATE, 1000))
    assert call.session.ended.is_set()
    end = await call.session.wait()
    assert (end.outcome, end.end_reason) == ("voicemail", "voicemail")


async def test_inbound_calls_are_never_taken_for_voicemail():
    call = await Call.make(call_type=CallType.INBOUND).start()
    await call.feed(speech_frames(GREETING) + silent_frames(200) + tone_frames(500, RATE, 1000))
    assert not call.session.ended.is_set()
    await call.end()
