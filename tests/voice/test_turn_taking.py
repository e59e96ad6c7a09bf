"""Turn-taking that feels human (issue 15), one behaviour per test, on the fake clock: real espeak-ng speech and
noise through the session's denoiser, Silero, adaptive endpointing and two-step barge-in, with a streaming STT
whose partial words the test scripts. The same behaviours are measured over a real socket by
`scripts/bench_turn_taking.py`."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from app.turn_taking.config import LEGACY, TurnTakingConfig
from app.voice.session_config import SessionConfig
from tests.turn_taking.test_caller_turns import babble_frames
from tests.voice.fakes import GatedLLM, StreamingSTT
from tests.voice.harness import RATE, Call
from tests.voice.speech import noise_frames, speech_frames

LONG = "Our spring sale takes twenty percent off every sofa, chair, table and lamp in all of our stores."
QUESTION = "Do you deliver to Mumbai?"
ANSWER = "Yes, we deliver to Mumbai within five days."


DEFAULTS = TurnTakingConfig()
TRUSTED = TurnTakingConfig(trust_partials=True)  # a flow whose STT hears the caller's words


async def make(turn_taking: TurnTakingConfig = DEFAULTS, llm: GatedLLM | None = None) -> Call:
    stt = StreamingSTT(RATE)
    call = Call.make(llm=llm, stt=stt, config=SessionConfig(rate=RATE, silence_timeout=30, turn_taking=turn_taking))
    return await call.start()


async def speaking(llm: GatedLLM, turn_taking: TurnTakingConfig = DEFAULTS) -> Call:
    """The agent is part-way through a long sentence of its reply."""
    call = await make(turn_taking, llm=llm)
    await call.agent_quiet()
    call.stt.expect_stages([(300, "any offers")])
    await call.feed(speech_frames("Any offers?"))
    await call.silence(600)
    llm.release(1)
    await call.silence(600)
    assert call.session.agent_active
    return call


def first_audio_after(call: Call, moment: float) -> float:
    return min(t for t in call.output.times("audio") if t > moment)


async def reply_delay(turn_taking: TurnTakingConfig) -> float:
    call = await make(turn_taking)
    await call.agent_quiet()
    call.stt.expect_stages([(300, "do you deliver"), (900, "do you deliver to mumbai")])
    await call.feed(speech_frames(QUESTION))
    spoken_at = call.clock.now()
    await call.silence(3000)  # the reply starts and is said whole
    delay = first_audio_after(call, spoken_at) - spoken_at
    assert call.agent_said()[-1] == ANSWER
    await call.end()
    return delay


async def test_with_trusted_words_a_complete_question_is_answered_sooner_than_with_a_fixed_600_ms():
    new, legacy = await reply_delay(TRUSTED), await reply_delay(LEGACY)
    assert new <= 0.5 < 0.6 <= legacy


async def test_a_question_that_rises_is_answered_within_700_ms_without_trusting_a_word():
    """The default flow trusts no word of the offline STT, yet a question's final rise in pitch closes the turn
    after `rising_endpoint_ms`; with the cue off it waits out `endpoint_ms`."""
    rising, waited = await reply_delay(DEFAULTS), await reply_delay(TurnTakingConfig(rising_endpoint_ms=900))
    assert rising <= 0.7 and waited >= 0.9


async def heard_across_a_pause(
    turn_taking: TurnTakingConfig,
    first_text: str,
    second_text: str,
    pause_ms: int,
    stages: Callable[[int], list[tuple[int, str]]],
) -> str:
    """The caller says `first_text`, pauses, then `second_text`; `stages(ends_first)` scripts the STT's partials
    (`ends_first`: the audio it has heard when the pause starts, pre-roll included). Nobody may talk into the
    pause and exactly one reply must follow; returns the turn's transcript."""
    call = await make(turn_taking)
    await call.agent_quiet()
    first, second = speech_frames(first_text), speech_frames(second_text)
    call.stt.expect_stages(stages((len(first) + 10) * 20))
    replies_before = call.output.count("mark")
    await call.feed(first)
    paused_at = call.clock.now()
    await call.silence(pause_ms)
    assert not [t for t in call.output.times("audio") if t > paused_at]  # nobody talked into the pause
    await call.feed(second)
    await call.silence(1500)
    await call.agent_quiet()
    assert call.output.count("mark") == replies_before + 1
    heard = call.caller_said()[-1]
    await call.end()
    return heard


async def test_with_trusted_words_a_pause_after_an_unfinished_clause_is_waited_out_and_answered_once():
    pause_ms = 1100
    heard = await heard_across_a_pause(
        TRUSTED,
        "I would like to know about",
        "delivery to Mumbai",
        pause_ms,
        lambda ends_first: [
            (300, "i would like"),
            (ends_first - 200, "i would like to know about"),
            (ends_first + pause_ms + 600, "i would like to know about delivery to mumbai"),
        ],
    )
    assert heard == "i would like to know about delivery to mumbai"


async def test_a_pause_mid_sentence_is_waited_out_even_when_the_stt_misheard_it_as_a_complete_question():
    """pocketsphinx makes "What is the best way to" into "what the limit when it": no takeover in the pause, and
    one reply, to the whole sentence."""
    pause_ms = 750
    heard = await heard_across_a_pause(
        DEFAULTS,
        "What is the best way to",
        "reach your delivery team",
        pause_ms,
        lambda ends_first: [
            (ends_first - 200, "what the limit when it"),
            (ends_first + pause_ms + 600, "what the limit when it reach"),
        ],
    )
    assert heard == "what the limit when it reach"


async def test_a_backchannel_a_trusted_stt_heard_over_the_agent_sends_no_clear_and_loses_no_words():
    llm = GatedLLM([LONG], gated=True)
    call = await speaking(llm, TRUSTED)
    call.stt.expect_stages([(250, "haan ji")])
    await call.feed(speech_frames("haan ji"))
    await call.silence(800)
    await call.agent_quiet()
    assert call.output.count("clear") == 0
    assert call.agent_said()[-1] == LONG  # every word was played, from where it paused
    assert "haan ji" in call.caller_said() and len(llm.calls) == 1 and not llm.cancelled
    await call.end()


async def test_a_backchannel_the_stt_misheard_as_other_words_resumes_within_600_ms_and_loses_no_words():
    """The offline STT makes "haan ji" into English words: short, and no word asks the agent to stop."""
    llm = GatedLLM([LONG], gated=True)
    call = await speaking(llm)
    call.stt.expect_stages([(250, "the auto took")])
    await call.feed(speech_frames("haan ji"))
    stopped = call.clock.now()
    await call.silence(1200)
    assert first_audio_after(call, stopped) - stopped <= 0.6
    await call.agent_quiet()
    assert call.agent_said()[-1] == LONG
    assert len(llm.calls) == 1 and not llm.cancelled  # not taken as the caller's turn
    await call.end()


async def test_babble_over_the_agent_neither_clears_nor_leaves_an_audible_gap():
    llm = GatedLLM([LONG], gated=True)
    call = await speaking(llm)
    call.stt.expect_stages([(300, "the weather was lovely at five")])
    started = call.clock.now()
    await call.feed(babble_frames(rate=RATE))
    await call.silence(1200)
    audio = [t for t in call.output.times("audio") if t >= started]
    assert call.output.count("clear") == 0
    assert max(b - a for a, b in itertools.pairwise(audio)) < 0.3
    await call.agent_quiet()
    assert call.agent_said()[-1] == LONG and len(llm.calls) == 1
    await call.end()


async def test_noise_over_the_agent_neither_pauses_nor_clears():
    llm = GatedLLM([LONG], gated=True)
    call = await speaking(llm)
    started = call.clock.now()
    await call.feed(noise_frames(1000, RATE, level=3000))
    audio = [t for t in call.output.times("audio") if t >= started]
    assert call.output.count("clear") == 0
    assert max(b - a for a, b in itertools.pairwise(audio)) < 0.3  # no audible gap
    await call.end()


async def test_a_real_interruption_is_cleared_within_300_ms_and_the_agent_stays_silent():
    llm = GatedLLM([LONG, " Would you like to hear more?"], gated=True)
    call = await speaking(llm)
    call.stt.expect_stages([(300, "wait"), (600, "wait what about delivery")])
    onset = call.clock.now()
    words = speech_frames("Wait, what about delivery?")
    await call.feed(words)
    cleared = call.output.times("clear")
    assert cleared and cleared[0] - onset <= 0.3
    assert not [t for t in call.output.times("audio") if cleared[0] < t <= call.clock.now()]
    await call.end()


async def test_a_draft_on_the_callers_last_words_is_the_reply_and_a_stale_one_is_dropped():
    llm = GatedLLM(["Let me check that for you."])
    call = await make(llm=llm)
    await call.agent_quiet()
    # the caller pauses on "I want", the draft is dropped as they go on; the final words get the reply
    first = speech_frames("I want")
    call.stt.expect_stages([(300, "i want"), ((len(first) + 10) * 20 + 300 + 300, "i want a refund")])
    await call.feed(first)
    await call.silence(300)
    drafted = len(llm.calls)
    await call.feed(speech_frames("a refund"))
    await call.silence(1500)
    await call.agent_quiet()
    assert drafted == 1  # the greeting has no LLM call: this was the draft
    assert len(llm.calls) == 2 and llm.calls[0][-1] == {"role": "user", "content": "i want"}
    assert llm.calls[-1][-1] == {"role": "user", "content": "i want a refund"}
    assert call.agent_said()[-1] == "Let me check that for you."
    assert call.agent_said().count("Let me check that for you.") == 1
    await call.end()
