"""The session's public event hook: an observer sees one turn's latency marks in order, a barge-in as the
`clear` it caused with what the caller heard, and a failing observer never breaks the call."""

from __future__ import annotations

from app.voice.session_events import (
    BargeIn,
    CallerSpeechStarted,
    CallerTurnEnded,
    LlmFirstToken,
    SentenceReady,
    SessionEvent,
    TranscriptFinal,
    TtsFirstAudio,
    UtteranceSettled,
)
from app.voice.utterance import UtteranceState
from tests.voice.fakes import GatedLLM
from tests.voice.harness import Call
from tests.voice.speech import speech_frames

LONG = "Our spring sale takes twenty percent off every sofa, chair, table and lamp in all of our stores."


async def test_an_observer_sees_a_turns_marks_in_order_on_the_call_clock():
    call = Call.make()
    events: list[SessionEvent] = []
    call.session.observe(events.append)
    await call.start()
    await call.agent_quiet()
    events.clear()
    await call.say("Do you deliver to Mumbai?")
    await call.agent_quiet()
    kinds = [type(e) for e in events]
    order = [
        CallerSpeechStarted,
        CallerTurnEnded,
        TranscriptFinal,
        LlmFirstToken,
        SentenceReady,
        TtsFirstAudio,
        UtteranceSettled,
    ]
    assert [k for k in kinds if k in order][: len(order)] == order
    marks = [e for e in events if not isinstance(e, CallerSpeechStarted)]
    times = [e.at for e in marks]
    assert times == sorted(times)  # call-clock marks, each at or after the one before
    final = next(e for e in events if isinstance(e, TranscriptFinal))
    assert final.text == "Do you deliver to Mumbai?"
    settled = next(e for e in events if isinstance(e, UtteranceSettled))
    assert (settled.kind, settled.state) == ("reply", UtteranceState.PLAYED)
    assert settled.heard_text == call.agent_said()[-1]
    assert not [e for e in events if isinstance(e, BargeIn)]
    await call.end()


async def test_a_barge_in_is_observed_as_the_clear_it_sent_and_the_part_that_was_heard():
    llm = GatedLLM([LONG], gated=True)
    call = Call.make(llm=llm)
    events: list[SessionEvent] = []
    call.session.observe(events.append)
    await call.start()
    await call.agent_quiet()
    await call.say("Any offers?")
    llm.release(1)
    await call.silence(800)
    call.stt.expect("Actually, what about delivery?")
    await call.feed(speech_frames("Actually, what about delivery?"))
    await call.silence(800)
    barge_ins = [e for e in events if isinstance(e, BargeIn)]
    assert len(barge_ins) == 1
    assert barge_ins[0].cleared_at == call.output.times("clear")[0]
    assert 0 <= barge_ins[0].cleared_at - barge_ins[0].onset <= 0.3  # confirmed before the clear (issue 15)
    cut = [e for e in events if isinstance(e, UtteranceSettled) and e.state == UtteranceState.INTERRUPTED]
    assert cut and cut[0].heard_text and LONG.startswith(cut[0].heard_text) and cut[0].heard_text != LONG
    llm.release(10)
    await call.end()


async def test_a_failing_observer_is_logged_and_the_call_goes_on(caplog):
    call = Call.make()

    def broken(event: SessionEvent) -> None:
        raise RuntimeError("observer bug")

    call.session.observe(broken)
    await call.start()
    await call.agent_quiet()
    await call.say("Do you deliver to Mumbai?")
    await call.agent_quiet()
    assert call.agent_said()[-1] == "Yes, we deliver to Mumbai within five days."
    assert "a session observer failed" in caplog.text
    end = await call.end()
    assert (end.outcome, end.end_reason) == ("connected", "caller_hangup")
