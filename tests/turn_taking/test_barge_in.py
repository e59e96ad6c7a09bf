"""The two-step barge-in decision: soft pause at onset, then confirm, resume, or pause again."""

from __future__ import annotations

import pytest

from app.turn_taking.backchannel import BackchannelClassifier
from app.turn_taking.barge_in import BargeIn, BargeInJudge
from app.turn_taking.config import TurnTakingConfig


def judge(**config) -> BargeInJudge:
    tt = TurnTakingConfig(**config)
    return BargeInJudge(tt, BackchannelClassifier(tt.extra_backchannels()))


def run(j: BargeInJudge, pattern: str, partial: str = "") -> list[BargeIn]:
    """`pattern`: one character per 20 ms frame, 'v' voiced (one clear voice), 'b' voiced but not periodic
    (background voices), '.' quiet."""
    return [change for ch in pattern if (change := j.frame(ch in "vb", partial, True, ch == "v")) is not None]


def test_real_words_confirm_sooner_than_voiced_time_alone():
    words, blind = judge(), judge()
    for j in (words, blind):
        j.onset(60)
    assert run(words, "vvv", partial="wait") == [BargeIn.CONFIRMED]  # 120 ms voiced
    assert run(blind, "vvv", partial="") == []
    assert run(blind, "vvvvv", partial="") == [BargeIn.CONFIRMED]  # 200 ms voiced, no words yet
    assert run(blind, "vvvv", partial="wait a second") == []  # once is enough


def test_a_backchannel_a_trusted_stt_heard_never_confirms_and_the_agent_resumes_after_a_short_quiet():
    j = judge(trust_partials=True)
    j.onset(60)
    assert run(j, "v" * 20, partial="haan ji") == []
    assert run(j, "." * 10, partial="haan ji") == [BargeIn.RESUMED]


def test_a_short_sound_resumes_before_it_could_confirm():
    j = judge()
    j.onset(60)
    assert run(j, "vvv" + "." * 10, partial="") == [BargeIn.RESUMED]


def test_speech_again_after_a_resume_pauses_again():
    j = judge(trust_partials=True)
    j.onset(60)
    assert run(j, "vvv" + "." * 10 + "vv", partial="hmm") == [
        BargeIn.RESUMED,
        BargeIn.PAUSED,
    ]


def test_a_flows_own_backchannel_word_does_not_interrupt():
    plain = judge(trust_partials=True)
    custom = judge(trust_partials=True, backchannel_words={"hi-IN": ["zaroor"]})
    for j in (plain, custom):
        j.onset(60)
    assert run(plain, "v" * 12, partial="zaroor") == [BargeIn.CONFIRMED]
    assert run(custom, "v" * 12, partial="zaroor") == []


def test_no_onset_no_decision():
    assert run(judge(), "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", partial="stop") == []


def test_words_that_are_all_backchannel_need_twice_the_voiced_time():
    j = judge(trust_partials=True)
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


@pytest.mark.parametrize(
    "said", ["haan ji", "bilkul", "sahi hai", "बिल्कुल", "सही है", "mm hmm", "got it", "exactly", "हाँ जी"]
)
def test_common_english_and_hindi_backchannels_are_known_without_a_flow_adding_them(said):
    assert BackchannelClassifier().is_backchannel(said)


def test_a_short_farewell_over_the_agent_is_heard():
    words = BackchannelClassifier()
    assert not words.is_aside("okay bye") and not words.is_aside("thank you") and not words.is_aside("धन्यवाद")


def test_background_voices_never_confirm_and_the_agent_plays_on_at_once():
    """Babble: the neural VAD hears voices, but at most one frame in ten is one clear pitch."""
    j = judge()
    j.onset(60, [False, False, True])
    assert run(j, "bvbbbbb", partial="the weather was") == [BargeIn.BACKGROUND]  # 200 ms: judged, not cleared
    assert run(j, "bbbvbvbbvbvvbbvbbvbbbbbvbbbbvvbvbbbbbbbvbb", partial="the weather was lovely at five") == []


def test_one_clear_voice_out_of_background_voices_is_judged_afresh_and_confirmed():
    j = judge()
    j.onset(60, [False, False, False])
    assert run(j, "bbbbbbb") == [BargeIn.BACKGROUND]
    assert run(j, "vvvvvvvv") == [BargeIn.PAUSED, BargeIn.CONFIRMED]  # 160 ms of it


def test_a_clear_voice_confirms_within_the_same_200_ms_as_before():
    j = judge()
    j.onset(60, [False, True, False])
    assert run(j, "bvbvbbb") == [BargeIn.CONFIRMED]


def test_a_short_confirmed_sound_resumes_whatever_the_stt_misheard_it_as_unless_it_asks_to_stop():
    """Offline STTs make "haan ji" into English words ("the auto"); "wait" or "no" still interrupt."""
    misheard, stop = judge(), judge()
    for j in (misheard, stop):
        j.onset(60)
        assert run(j, "v" * 20) == [BargeIn.CONFIRMED]  # 460 ms voiced
    assert run(misheard, "." * 10, partial="the auto took") == [BargeIn.RESUMED]
    assert run(stop, "." * 10, partial="no wait") == []


def test_a_long_confirmed_sound_stays_an_interruption_through_a_pause():
    j = judge()
    j.onset(60)
    assert run(j, "v" * 45, partial="the auto took") == [BargeIn.CONFIRMED]  # 960 ms voiced
    assert run(j, "." * 10, partial="the auto took") == []


def test_speech_with_gaps_the_vad_calls_quiet_confirms_after_the_same_time_when_two_thirds_is_voiced():
    """ "Excuse me": the VAD skips the "ks"; time since onset decides, not only voiced frames."""
    j = judge()
    j.onset(60)
    assert run(j, "v.v.v.") == []
    assert run(j, "v") == [BargeIn.CONFIRMED]  # 200 ms of speech, 140 ms of it voiced


def test_untrusted_words_that_read_as_a_backchannel_do_not_hold_off_an_interruption():
    """pocketsphinx's first partial of "Hold on, I have a question" can be "oh": time decides."""
    trusting, default = judge(trust_partials=True), judge()
    for j in (trusting, default):
        j.onset(60)
    assert run(trusting, "v" * 12, partial="oh") == []
    assert run(default, "v" * 12, partial="oh") == [BargeIn.CONFIRMED]
