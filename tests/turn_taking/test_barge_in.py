"""The two-step barge-in decision: soft pause at onset, then confirm, resume, or pause again."""

from __future__ import annotations

from app.turn_taking.backchannel import BackchannelClassifier
from app.turn_taking.barge_in import BargeIn, BargeInJudge
from app.turn_taking.config import TurnTakingConfig


def judge(**config) -> BargeInJudge:
    tt = TurnTakingConfig(**config)
    return BargeInJudge(tt, BackchannelClassifier(tt.extra_backchannels()))


def run(j: BargeInJudge, pattern: str, partial: str = "") -> list[BargeIn]:
    """`pattern`: one character per 20 ms frame, 'v' voiced, '.' quiet."""
    return [change for ch in pattern if (change := j.frame(ch == "v", partial)) is not None]


def test_real_words_confirm_sooner_than_voiced_time_alone():
    words, blind = judge(), judge()
    for j in (words, blind):
        j.onset(60)
    assert run(words, "vvv", partial="wait") == [BargeIn.CONFIRMED]  # 120 ms voiced
    assert run(blind, "vvv", partial="") == []
    assert run(blind, "vvvvv", partial="") == [BargeIn.CONFIRMED]  # 200 ms voiced, no words yet
    assert run(blind, "vvvv", partial="wait a second") == []  # once is enough


def test_a_backchannel_the_stt_heard_never_confirms_and_the_agent_resumes_after_a_short_quiet():
    j = judge()
    j.onset(60)
    assert run(j, "v" * 20, partial="haan ji") == []
    assert run(j, "." * 10, partial="haan ji") == [BargeIn.RESUMED]


def test_a_short_sound_resumes_before_it_could_confirm():
    j = judge()
    j.onset(60)
    assert run(j, "vvv" + "." * 10, partial="") == [BargeIn.RESUMED]


def test_speech_again_after_a_resume_pauses_again():
    j = judge()
    j.onset(60)
    assert run(j, "vvv" + "." * 10 + "vv", partial="hmm") == [
        BargeIn.RESUMED,
        BargeIn.PAUSED,
    ]


def test_a_flows_own_backchannel_word_does_not_interrupt():
    plain, custom = judge(), judge(backchannel_words={"hi-IN": ["bilkul"]})
    for j in (plain, custom):
        j.onset(60)
    assert run(plain, "v" * 12, partial="bilkul") == [BargeIn.CONFIRMED]
    assert run(custom, "v" * 12, partial="bilkul") == []


def test_no_onset_no_decision():
    assert run(judge(), "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", partial="stop") == []


def test_words_that_are_all_backchannel_need_twice_the_voiced_time():
    j = judge()
    j.onset(60)
    assert run(j, "v" * 35, partial="haan ji") == []  # 760 ms: would confirm with no words at all
    assert run(j, "v" * 30, partial="haan ji") == [BargeIn.CONFIRMED]


def test_a_confirmed_sound_that_stops_short_with_backchannel_words_resumes():
    j = judge()
    j.onset(60)
    assert run(j, "vvvvvvv", partial="") == [BargeIn.CONFIRMED]
    assert run(j, "." * 10, partial="okay") == [BargeIn.RESUMED]


def test_a_confirmed_interruption_with_real_words_stays_confirmed_through_a_pause():
    j = judge()
    j.onset(60)
    assert run(j, "vvvvvv", partial="wait") == [BargeIn.CONFIRMED]
    assert run(j, "." * 15 + "vvvv", partial="wait i need") == []


def test_a_one_or_two_word_aside_is_not_an_interruption_unless_it_asks_the_agent_to_stop():
    words = BackchannelClassifier()
    assert words.is_aside("on") and words.is_aside("a hot")
    assert not words.is_aside("stop") and not words.is_aside("wait please") and not words.is_aside("नहीं")
    assert not words.is_aside("i have a question")


def test_a_short_farewell_over_the_agent_is_heard():
    words = BackchannelClassifier()
    assert not words.is_aside("okay bye") and not words.is_aside("thank you") and not words.is_aside("धन्यवाद")
