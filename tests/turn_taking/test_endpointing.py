"""Adaptive endpointing: the silence that closes a turn depends on how the transcript so far reads."""

from __future__ import annotations

import pytest

from app.turn_taking.config import TurnTakingConfig
from app.turn_taking.endpointing import EndpointPolicy, Reading, read_turn
from app.turn_taking.intonation import Ending

COMPLETE = [
    "what is my balance",
    "can you tell me my loan amount please",
    "I want to pay it today",
    "yes",
    "no",
    "haan ji",
    "okay",
    "mera loan band karna hai",
    "mujhe paisa chahiye",
    "kya aap mujhe bata sakte hain?",
    "मेरा खाता बंद करना है",
    "मुझे पैसे चाहिए",
    "my account number is 4 5 6",
    "thank you",
]
UNFINISHED = [
    "I want to pay the",
    "I would like to know about",
    "and then",
    "I was thinking um",
    "mera loan ka",
    "main aapko batana chahta tha ki",
    "mujhe payment ke",
    "मुझे पैसे के",
    "मेरा खाता और",
    "I need",
    "because",
    "so basically",
    "woh matlab",
]


@pytest.mark.parametrize("text", COMPLETE)
def test_a_turn_that_reads_complete(text):
    assert read_turn(text) == Reading.COMPLETE


@pytest.mark.parametrize("text", UNFINISHED)
def test_a_turn_that_ends_mid_thought(text):
    assert read_turn(text) == Reading.UNFINISHED


def test_nothing_heard_yet_is_unknown():
    assert read_turn("") == Reading.UNKNOWN


def test_the_policy_maps_readings_to_the_flows_silences():
    policy = EndpointPolicy(
        TurnTakingConfig(trust_partials=True, min_endpoint_ms=200, endpoint_ms=450, max_endpoint_ms=1600)
    )
    assert policy.silence_ms("what is my balance") == 200
    assert policy.silence_ms("I want to pay the") == 1600
    assert policy.silence_ms("") == 450


def test_by_default_the_words_are_not_trusted_and_every_turn_waits_out_a_mid_sentence_pause():
    """The offline STT mishears telephone speech: "what is the best way to" comes out as "what the limit when
    it", which reads as a complete question. Untrusted words neither shorten nor lengthen the wait."""
    policy = EndpointPolicy(TurnTakingConfig())
    assert read_turn("what the limit when it") == Reading.COMPLETE
    assert policy.silence_ms("what the limit when it") == policy.silence_ms("I want to pay the") == 900
    assert policy.silence_ms("") == 900


def test_a_rising_end_shortens_the_wait_and_never_lengthens_it():
    policy = EndpointPolicy(TurnTakingConfig())
    assert policy.silence_ms("", Ending.RISING) == 450 < policy.silence_ms("", Ending.OTHER) == 900
    quick = EndpointPolicy(TurnTakingConfig(min_endpoint_ms=200, endpoint_ms=300))
    assert quick.silence_ms("", Ending.RISING) == 300


def test_trusted_words_that_read_unfinished_outweigh_a_rising_end():
    policy = EndpointPolicy(TurnTakingConfig(trust_partials=True))
    assert policy.silence_ms("I would like to know about", Ending.RISING) == 1400
    assert policy.silence_ms("", Ending.RISING) == 450
