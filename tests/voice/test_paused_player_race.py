"""The paused-player race (issue 13, problem 2): the caller starts speaking while the agent's utterance waits
for its mark, the utterance settles before the caller's turn ends, and the reply must still be heard."""

from __future__ import annotations

from app.calls.contract import Speaker
from app.voice.audio import rms, silence
from app.voice.session_config import SessionConfig
from tests.voice.conftest import create_flow
from tests.voice.exotel_client import ExotelCaller
from tests.voice.harness import RATE, Call
from tests.voice.speech import spoken

ANSWER = "Yes, we deliver to Mumbai within five days."
ANSWER_FRAMES = 8 * 5  # the tone TTS says 100 ms (five frames) per word
QUESTIONS = ["Do you deliver to Mumbai?", "Do you deliver to Mumbai?", "Do you deliver to Mumbai?"]


async def quiet_marks_call(mark_timeout: float = 2.0) -> Call:
    """A line whose marks come back only when the test says so (or never)."""
    call = Call.make(config=SessionConfig(rate=RATE, silence_timeout=30, mark_timeout=mark_timeout))
    call.output.ack_marks = False
    return await call.start()


def marks_sent(call: Call) -> list[str]:
    return [name for _, kind, name in call.output.log if kind == "mark"]


async def until_audio_sent(call: Call) -> None:
    """Until the agent's current utterance has left in full and waits for its mark."""
    count = len(marks_sent(call))
    await call.until(lambda: len(marks_sent(call)) > count)


def audio_after(call: Call, moment: float) -> int:
    return sum(1 for t in call.output.times("audio") if t > moment)


async def test_onset_while_waiting_for_the_mark_then_the_mark_returns_the_reply_is_heard():
    call = await quiet_marks_call()
    await until_audio_sent(call)
    greeting_mark = marks_sent(call)[-1]
    # The caller starts talking while the greeting's mark is still out; it comes back mid-turn.
    echoed = []

    def echo_once_the_caller_talks() -> None:
        if not echoed and call.session.endpoint.in_speech:
            echoed.append(call.clock.now())
            call.session.mark_played(greeting_mark)

    call.after_frame.append(echo_once_the_caller_talks)
    spoke_at = call.clock.now()
    await call.say(QUESTIONS[0])
    # a soft pause at onset (issue 15): the greeting was heard in full before the speech was confirmed, so
    # there was nothing to clear
    assert echoed and call.output.count("clear") == 0
    await call.until(lambda: len(marks_sent(call)) >= 2, seconds=10)
    assert audio_after(call, spoke_at) == ANSWER_FRAMES  # the whole reply left, once
    call.session.mark_played(marks_sent(call)[-1])
    await call.silence(100)
    assert call.agent_said() == [call.session.turns.greeting(), ANSWER]
    assert call.session.speech.invariant_violations == 0
    await call.end()


async def test_a_caller_that_never_echoes_marks_gets_every_turn_answered():
    call = await quiet_marks_call(mark_timeout=2.0)
    for question in QUESTIONS:
        await until_audio_sent(call)
        await call.silence(200)  # the caller answers at once: well inside the 2 s mark timeout
        before = call.clock.now()
        await call.say(question, pause_ms=800)
        await call.until(lambda: audio_after(call, before) >= ANSWER_FRAMES, seconds=5)
    await until_audio_sent(call)
    await call.silence(2200)
    assert call.agent_said().count(ANSWER) == 3
    assert call.session.speech.invariant_violations == 0
    await call.end()


async def test_marks_echoed_late_still_get_every_turn_answered():
    call = await quiet_marks_call(mark_timeout=5.0)
    late = 1.2  # each mark comes back 1.2 s after it was sent, long after the caller began its turn
    due: dict[str, float] = {}

    def echo_late() -> None:
        for name in marks_sent(call):
            due.setdefault(name, call.clock.now() + late)
        for name, at in list(due.items()):
            if at is not None and call.clock.now() >= at:
                call.session.mark_played(name)
                due[name] = None

    call.after_frame.append(echo_late)
    for question in QUESTIONS:
        await until_audio_sent(call)
        await call.silence(100)
        before = call.clock.now()
        await call.say(question, pause_ms=800)
        await call.until(lambda: audio_after(call, before) >= ANSWER_FRAMES, seconds=5)
    await until_audio_sent(call)
    await call.silence(1500)
    assert call.agent_said().count(ANSWER) == 3
    assert call.session.speech.invariant_violations == 0
    await call.end()


async def test_over_the_exotel_socket_a_caller_that_never_echoes_marks_hears_every_reply(http, client, voice_server):
    """Real socket, real time: each turn starts as soon as the agent's audio ends and lasts past the 2 s mark
    timeout, so every utterance settles while the caller is talking."""
    flow = await create_flow(client)
    caller = await ExotelCaller.connect(http, voice_server.ws("/ws/exotel"), ack_marks=False)
    await caller.start(to=flow["phone_number"])
    question = spoken("Do you deliver to Mumbai? I would like a new sofa sent there soon.", 8000)
    assert len(question) / 16000 > 2.2
    for turn in range(1, 3):
        await caller.wait_for(lambda: len(caller.events("mark")) >= turn)
        media_before = len(caller.events("media"))
        voice_server.stt.expect("Do you deliver to Mumbai?")
        await caller.play(question + silence(8000, 500), realtime=1)
        await caller.wait_for(lambda: len(caller.events("mark")) >= turn + 1, timeout=5)
        reply = b"".join(caller.payloads()[media_before:])
        assert rms(reply) > 500 and len(reply) / 16000 >= 0.4  # "Yes, within five days.": 4 words of 100 ms
    await caller.stop()
    reporter = await voice_server.ended()
    assert reporter.said(Speaker.AGENT)[1:] == ["Yes, within five days."] * 2
    await caller.close()


async def test_the_invariant_check_logs_counts_and_repairs_a_player_left_paused(caplog):
    call = await Call.make().start()
    await call.agent_quiet()
    call.session.speech.player.pause()  # as the race used to leave it
    call.session.speech.check_running("CallerTurn")
    assert call.session.speech.invariant_violations == 1 and not call.session.speech.player.paused
    assert any("stayed paused after CallerTurn" in r.getMessage() for r in caplog.records)
    call.session.speech.check_running("CallerTurn")  # a running player is no violation
    assert call.session.speech.invariant_violations == 1
    await call.end()
