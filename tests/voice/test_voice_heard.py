"""`call.started` means "a call connects (human voice detected)": the session reports the start at once
(the call is live for dashboards and workflow actions) but the caller's voice only when it is heard, and on
outbound calls only when it is not an answering machine's greeting."""

from __future__ import annotations

from app.calls.contract import CallType
from app.voice.session_presence import VoicePresence
from tests.voice.harness import RATE, Call
from tests.voice.speech import silent_frames, speech_frames, tone_frames
from tests.voice.test_voicemail import GREETING


async def test_an_inbound_call_counts_the_voice_from_the_callers_first_words():
    call = await Call.make(call_type=CallType.INBOUND).start()
    assert call.reporter.starts[0].voice_heard is False
    await call.silence(1000)
    assert call.reporter.voices_heard == []
    await call.say("Hello, is this the furniture shop?")
    assert call.reporter.voices_heard == [call.session.call_id]
    await call.say("I want a desk")
    assert len(call.reporter.voices_heard) == 1
    await call.end()


async def test_an_outbound_call_answered_by_a_person_saying_hello():
    call = await Call.make(call_type=CallType.OUTBOUND).start()
    await call.feed(speech_frames("Hello?", RATE))
    assert call.reporter.voices_heard == []  # could still be a machine's greeting
    await call.silence(800)
    assert call.reporter.voices_heard == [call.session.call_id]
    await call.end()


async def test_an_answering_machine_never_counts_as_a_voice():
    call = await Call.make(call_type=CallType.OUTBOUND).start()
    await call.feed(speech_frames(GREETING) + silent_frames(200) + tone_frames(500, RATE, 1000))
    end = await call.session.wait()
    assert end.outcome == "voicemail" and call.reporter.voices_heard == []


async def test_a_keypad_digit_is_a_person():
    call = await Call.make(call_type=CallType.OUTBOUND).start()
    await call.session.dtmf("1")
    await call.silence(20)
    assert call.reporter.voices_heard == [call.session.call_id]
    await call.end()


def test_a_long_first_utterance_waits_for_a_second_turn():
    presence = VoicePresence(watching_for_voicemail=True)
    assert not presence.speech_started()
    assert not presence.turn_ended(3500)
    assert presence.turn_ended(900)
    assert not presence.turn_ended(900) and not presence.dtmf()
