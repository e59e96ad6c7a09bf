"""Parsing `config.turn_taking`: defaults, the legacy preset, clamping, and what a running call falls back to."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.turn_taking.config import (
    LEGACY,
    Sensitivity,
    TurnTakingConfig,
    VadKind,
    parse_turn_taking,
    turn_taking_of,
)


def test_absent_means_the_defaults():
    config = parse_turn_taking(None)
    assert config == TurnTakingConfig()
    assert config.vad == VadKind.AUTO and config.noise_suppression
    assert config.min_endpoint_ms < config.endpoint_ms < config.max_endpoint_ms


def test_legacy_is_todays_fixed_600_ms_with_webrtcvad_and_other_keys_override_it():
    assert parse_turn_taking({"legacy": True}) == LEGACY
    assert LEGACY.vad == VadKind.WEBRTC and LEGACY.min_endpoint_ms == LEGACY.max_endpoint_ms == 600
    assert parse_turn_taking({"legacy": True, "vad": "silero"}).vad == VadKind.SILERO


def test_the_words_of_the_partial_transcript_set_the_endpoint_only_when_the_flow_says_its_stt_hears_them():
    assert not parse_turn_taking(None).trust_partials
    assert parse_turn_taking({"trust_partials": True}).trust_partials
    with pytest.raises(Invalid, match=r"config\.turn_taking\.trust_partials"):
        parse_turn_taking({"trust_partials": "yes"})


def test_a_lower_max_pulls_the_default_endpoint_down_with_it():
    config = parse_turn_taking({"max_endpoint_ms": 300})
    assert config.endpoint_ms == 300 and config.min_endpoint_ms == 250


def test_a_rising_end_closes_sooner_than_the_default_wait_and_the_flow_can_set_it():
    assert TurnTakingConfig().rising_endpoint_ms < TurnTakingConfig().endpoint_ms
    assert parse_turn_taking({"rising_endpoint_ms": 900}).rising_endpoint_ms == 900
    assert LEGACY.rising_endpoint_ms == 600
    with pytest.raises(Invalid, match=r"config\.turn_taking\.rising_endpoint_ms must be an integer from 200"):
        parse_turn_taking({"rising_endpoint_ms": 50})


def test_sensitivity_sets_how_much_speech_confirms_an_interruption():
    low = parse_turn_taking({"interruption_sensitivity": "low"})
    high = parse_turn_taking({"interruption_sensitivity": "high"})
    assert low.interruption_sensitivity == Sensitivity.LOW
    assert high.confirm_ms < low.confirm_ms and high.confirm_words_ms < low.confirm_words_ms
    assert high.backchannel_hold_ms < low.backchannel_hold_ms


def test_backchannel_words_are_kept_per_language_in_lower_case():
    config = parse_turn_taking({"backchannel_words": {"hi-IN": [" Bilkul ", "sahi"], "en": ["Gotcha"]}})
    assert config.extra_backchannels() == {"bilkul", "sahi", "gotcha"}


def test_an_endpoint_outside_min_and_max_names_the_field():
    with pytest.raises(Invalid, match=r"config\.turn_taking\.endpoint_ms"):
        parse_turn_taking({"endpoint_ms": 2000, "max_endpoint_ms": 1000})


def test_a_call_with_an_unvalidated_stored_config_runs_on_the_defaults():
    assert turn_taking_of({"turn_taking": {"vad": "nope"}}) == TurnTakingConfig()
    assert turn_taking_of({}) == TurnTakingConfig()
