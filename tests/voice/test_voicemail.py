"""Voicemail on outbound calls: a long recorded greeting, then the beep, ends the call as `voicemail`."""

from __future__ import annotations

from app.calls.contract import CallType
from app.voice.vad import VoiceActivityDetector
from app.voice.voicemail import BeepDetector, GreetingWatch, VoicemailCue, VoicemailDetector
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


def _cues(watch: GreetingWatch, voiced: list[bool]) -> list[VoicemailCue]:
    return [cue for cue in (watch.push(v) for v in voiced) if cue is not None]


def test_a_greeting_as_long_as_a_machines_then_silence_is_a_box_that_records_without_a_beep():
    watch = GreetingWatch(machine_ms=2500, end_silence_ms=1300)
    greeting = ([True] * 40 + [False] * 15) * 3  # three 0.8 s phrases with 0.3 s pauses: 2.4 s of voice
    assert _cues(watch, [False] * 50 + greeting) == []
    assert _cues(watch, [True] * 10) == [VoicemailCue.MACHINE_GREETING]
    assert _cues(watch, [True] * 100 + [False] * 64) == []  # the box goes on; 1.28 s of silence is not yet its end
    assert _cues(watch, [False]) == [VoicemailCue.GREETING_ENDED]
    assert _cues(watch, [True] * 200 + [False] * 100) == []  # once is enough


def test_a_short_first_utterance_is_a_person_and_never_a_machine_greeting():
    watch = GreetingWatch(machine_ms=2500, end_silence_ms=1300)
    assert _cues(watch, [True] * 50 + [False] * 65 + [True] * 500 + [False] * 100) == []


def test_a_box_that_never_falls_silent_gets_the_message_at_the_cap():
    watch = GreetingWatch(machine_ms=2500, end_silence_ms=1300, cap_ms=10000)
    assert _cues(watch, [True] * 125) == [VoicemailCue.MACHINE_GREETING]
    assert _cues(watch, [True] * 499) == []
    assert _cues(watch, [True]) == [VoicemailCue.WAIT_OVER]


def test_with_a_message_to_leave_the_detector_reports_the_greeting_and_a_beep_still_comes_first():
    vad = VoiceActivityDetector(RATE)
    detector = VoicemailDetector(RATE, greeting=GreetingWatch())
    frames = speech_frames(GREETING) + silent_frames(200) + tone_frames(500, RATE, 1000)
    cues = [cue for cue in (detector.push(f, vad.is_speech(f)) for f in frames) if cue is not None]
    assert cues[:2] == [VoicemailCue.MACHINE_GREETING, VoicemailCue.BEEP]
    beepless = VoicemailDetector(RATE, greeting=GreetingWatch())
    frames = speech_frames(GREETING) + silent_frames(2000)
    cues = [cue for cue in (beepless.push(f, vad.is_speech(f)) for f in frames) if cue is not None]
    assert cues == [VoicemailCue.MACHINE_GREETING, VoicemailCue.GREETING_ENDED]
