"""Issue 16 §2: when the call's language moves, and to which voice."""

from __future__ import annotations

import pytest

from app.voice.language_switch import CallLanguage, requested_language, voice_in


@pytest.mark.parametrize(
    "said, code",
    [
        ("Hindi mein baat karo", "hi-IN"),
        ("can you speak in Tamil please", "ta-IN"),
        ("switch to english", "en-IN"),
        ("Kannada mein bolo", "kn-IN"),
        ("I live in Tamil Nadu", None),
        ("hello how are you", None),
    ],
)
def test_an_explicit_request_names_the_language(said, code):
    assert requested_language(said) == code


def test_two_turns_in_another_language_switch_one_does_not():
    language = CallLanguage("en-IN")
    assert language.heard("hi-IN") is None
    assert language.heard("en-IN") is None  # back in English: the count starts again
    assert language.heard("hi-IN") is None
    assert language.heard("hi-IN") == "hi-IN" and language.current == "hi-IN"


def test_the_flows_allowed_list_limits_every_switch():
    language = CallLanguage("en-IN", allowed=["en-IN", "hi-IN"])
    assert language.switch("ta-IN") is None and language.current == "en-IN"
    assert language.heard("ta-IN") is None and language.heard("ta-IN") is None and language.current == "en-IN"
    assert language.switch("hi") == "hi-IN"
    assert language.switch("hi-IN") is None  # already there


def test_the_voice_follows_with_a_speaker_of_the_same_provider():
    assert voice_in("hi-IN", "sarvam", "anushka", "bulbul:v2").speaker == "anushka"  # speaks Hindi already
    assert voice_in("ta-IN", None, None, None).language == "ta-IN"  # offline: espeak follows
