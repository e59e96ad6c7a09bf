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


def test_real_words_confirm_after_a_little_speech():
    j = judge()
    j.onset(60)
    assert run(j, "vvvv", partial="wait") == []  # 140 ms voiced: not yet
    assert run(j, "vvv", partial="wait") == [BargeIn.CONFIRMED]
    assert run(j, "vvvv", partial="wait a second") == []  # once is enough


def test_a_backchannel_never_confirms_and_the_agent_resumes_after_a_short_quiet():
    j = judge()
    j.onset(60)
    assert run(j, "v" * 20, partial="haan ji") == []
    assert run(j, "." * 10, partial="haan ji") == [BargeIn.RESUMED]


def test_long_speech_confirms_whatever_the_words():
    j = judge(interruption_sensitivity="medium")
    j.onset(60)
    assert run(j, "v" * 40, partial="") == [BargeIn.CONFIRMED]


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


def test_without_partial_words_voiced_time_alone_confirms_sooner():
    j = judge()
    j.onset(60)
    frames = [j.frame(True, "", hears_words=False) for _ in range(12)]
    assert BargeIn.CONFIRMED in frames
    assert (frames.index(BargeIn.CONFIRMED) + 1) * 20 + 60 <= TurnTakingConfig().confirm_blind_ms


def test_words_that_are_all_backchannel_need_twice_the_voiced_time():
    j = judge()
    j.onset(60)
    assert run(j, "v" * 35, partial="haan ji") == []  # 760 ms: would confirm with no words at all
    assert run(j, "v" * 30, partial="haan ji") == [BargeIn.CONFIRMED]
