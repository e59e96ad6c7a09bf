"""Tests for the static built-in voice catalog."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter

import pytest

from app.voice_catalog import catalog
from app.voice_catalog.catalog import (
    DEFAULT_MODELS,
    ESPEAK_VOICE,
    LANGUAGE_NAMES,
    SARVAM_LANGUAGES,
    CatalogVoice,
    VoiceProvider,
    all_voices,
    by_uuid,
    find_voice,
    find_voices,
    languages_of,
    speakers_of,
)

UUID_RE = re.compile(r"^vs_[0-9a-f]{12}$")


def _sort_key(v: CatalogVoice) -> tuple[str, str, str, str]:
    return (v.provider.value, v.model, v.display_name, v.language_code)


# ---- ids ------------------------------------------------------------------------------------


def test_ids_match_format_and_are_unique() -> None:
    voices = all_voices()
    assert all(UUID_RE.match(v.uuid) for v in voices)
    assert len({v.uuid for v in voices}) == len(voices)


def test_ids_are_derived_from_sha1_of_identity() -> None:
    for v in all_voices():
        key = f"{v.provider.value}|{v.model}|{v.speaker}|{v.language_code}"
        assert v.uuid == "vs_" + hashlib.sha1(key.encode()).hexdigest()[:12]


def test_ids_are_stable_across_rebuilds() -> None:
    before = [(v.uuid, v.speaker, v.language_code) for v in all_voices()]
    catalog._index.cache_clear()
    try:
        after = [(v.uuid, v.speaker, v.language_code) for v in all_voices()]
    finally:
        catalog._index.cache_clear()
    assert before == after
    # a pinned value guards against accidental changes to the derivation
    v = find_voice("sarvam", "anushka", model="bulbul:v2", language_code="hi-IN")
    assert v is not None
    assert v.uuid == "vs_" + hashlib.sha1(b"sarvam|bulbul:v2|anushka|hi-IN").hexdigest()[:12]


def test_all_voices_is_cached() -> None:
    assert all_voices() is all_voices()


# ---- counts and data ------------------------------------------------------------------------


def test_counts_per_provider_and_model() -> None:
    counts = Counter((v.provider, v.model) for v in all_voices())
    assert counts == {
        (VoiceProvider.SARVAM, "bulbul:v2"): 7 * 11,
        (VoiceProvider.SARVAM, "bulbul:v3"): 37 * 11,
        (VoiceProvider.ELEVENLABS, "eleven_multilingual_v2"): 18 * 3,
        (VoiceProvider.NEXTNEURAL, "espeak-ng"): 22,
    }
    assert len(all_voices()) == 77 + 407 + 54 + 22


def test_speaker_sets() -> None:
    assert len(speakers_of("sarvam", "bulbul:v2")) == 7
    assert len(speakers_of("sarvam", "bulbul:v3")) == 37
    assert len(speakers_of("sarvam")) == 44
    assert "shubh" in speakers_of("sarvam", "bulbul:v3")
    assert "anushka" not in speakers_of("sarvam", "bulbul:v3")
    assert all(s == s.lower() for s in speakers_of("sarvam"))
    assert "JBFqnCBsd6RMkjVDRZzb" in speakers_of("elevenlabs")
    assert len(speakers_of("elevenlabs", "eleven_multilingual_v2")) == 18
    assert speakers_of("nextneural") == {f"nn-{lang.lower()}-{g}" for lang in ESPEAK_VOICE for g in ("f", "m")}
    assert speakers_of("sarvam", "bulbul:v9") == frozenset()
    assert speakers_of("nope") == frozenset()


def test_language_sets() -> None:
    assert languages_of("sarvam") == set(SARVAM_LANGUAGES)
    assert languages_of("sarvam", "bulbul:v2") == set(SARVAM_LANGUAGES)
    assert languages_of(VoiceProvider.ELEVENLABS) == {"en-IN", "en-US", "hi-IN"}
    assert languages_of("nextneural", "espeak-ng") == set(ESPEAK_VOICE)
    assert "od-IN" not in languages_of("nextneural")
    assert languages_of("nope") == frozenset()


def test_every_language_code_has_a_name() -> None:
    for v in all_voices():
        assert v.language_code in LANGUAGE_NAMES
        assert v.language_name == LANGUAGE_NAMES[v.language_code]
    assert LANGUAGE_NAMES["en-US"] == "English (US)"
    assert LANGUAGE_NAMES["od-IN"] == "Odia"


def test_genders_and_defaults() -> None:
    assert {v.gender for v in all_voices()} <= {"female", "male", "neutral"}
    assert find_voice("sarvam", "priya").gender == "female"  # type: ignore[union-attr]
    assert find_voice("sarvam", "rahul").gender == "male"  # type: ignore[union-attr]
    assert find_voice("sarvam", "arya").gender == "female"  # type: ignore[union-attr]
    assert find_voice("elevenlabs", "George").gender == "male"  # type: ignore[union-attr]
    assert DEFAULT_MODELS[VoiceProvider.SARVAM] == "bulbul:v3"
    assert DEFAULT_MODELS[VoiceProvider.ELEVENLABS] == "eleven_multilingual_v2"
    assert DEFAULT_MODELS[VoiceProvider.NEXTNEURAL] == "espeak-ng"
    assert catalog.DEFAULT_SPEAKERS["bulbul:v3"] in speakers_of("sarvam", "bulbul:v3")


def test_nextneural_entries() -> None:
    v = find_voice("nextneural", "nn-hi-in-f")
    assert v is not None
    assert (v.language_code, v.gender) == ("hi-IN", "female")
    assert v.display_name == "NextNeural Hindi (female)"
    assert ESPEAK_VOICE["en-IN"] == "en" and ESPEAK_VOICE["en-US"] == "en-us"


# ---- filters --------------------------------------------------------------------------------


def test_find_voices_without_filters_is_everything_in_stable_order() -> None:
    voices = find_voices()
    assert voices == list(all_voices())
    assert voices == sorted(voices, key=_sort_key)


def test_find_voices_by_provider() -> None:
    sarvam = find_voices("sarvam")
    assert len(sarvam) == 44 * 11
    assert all(v.provider is VoiceProvider.SARVAM for v in sarvam)
    assert find_voices(VoiceProvider.SARVAM) == sarvam
    assert find_voices("SARVAM") == sarvam
    assert len(find_voices("elevenlabs")) == 54
    assert find_voices("unknown") == []


def test_find_voices_by_language() -> None:
    hindi = find_voices(language_code="hi-IN")
    assert len(hindi) == 44 + 18 + 2
    assert all(v.language_code == "hi-IN" for v in hindi)
    assert hindi == sorted(hindi, key=_sort_key)
    assert find_voices(language_code="hi-in") == hindi
    odia = find_voices(language_code="od-IN")
    assert {v.provider for v in odia} == {VoiceProvider.SARVAM}
    assert find_voices(language_code="fr-FR") == []


def test_find_voices_filters_compose() -> None:
    voices = find_voices("elevenlabs", "en-US")
    assert len(voices) == 18
    assert all(v.provider is VoiceProvider.ELEVENLABS for v in voices)
    assert all(v.language_code == "en-US" for v in voices)
    assert [v.display_name for v in voices] == sorted(v.display_name for v in voices)
    assert len(find_voices("nextneural", "ta-IN")) == 2
    assert find_voices("elevenlabs", "ta-IN") == []
    both = find_voices("sarvam", "te-IN")
    assert both == [v for v in find_voices("sarvam") if v.language_code == "te-IN"]


def test_find_voices_returns_a_fresh_list() -> None:
    first = find_voices("sarvam")
    first.clear()
    assert len(find_voices("sarvam")) == 44 * 11


# ---- find_voice -----------------------------------------------------------------------------


def test_find_voice_sarvam_is_case_insensitive() -> None:
    exact = find_voice("sarvam", "anushka", model="bulbul:v2", language_code="hi-IN")
    assert exact is not None
    assert (exact.speaker, exact.model, exact.language_code) == ("anushka", "bulbul:v2", "hi-IN")
    assert exact.display_name == "Anushka"
    assert find_voice("sarvam", "Anushka", model="bulbul:v2", language_code="hi-IN") == exact
    assert find_voice("Sarvam", " ANUSHKA ", model="bulbul:v2", language_code="hi-in") == exact


def test_find_voice_sarvam_model_constraints() -> None:
    assert find_voice("sarvam", "anushka", model="bulbul:v3") is None
    assert find_voice("sarvam", "shubh", model="bulbul:v2") is None
    v3 = find_voice("sarvam", "shubh", model="bulbul:v3")
    assert v3 is not None and v3.model == "bulbul:v3"
    # model omitted: the speaker's own model is found
    v2 = find_voice("sarvam", "anushka")
    assert v2 is not None and v2.model == "bulbul:v2"


def test_find_voice_language_constraints() -> None:
    v = find_voice("sarvam", "kavya", language_code="ta-IN")
    assert v is not None and v.language_code == "ta-IN"
    assert find_voice("elevenlabs", "Sarah", language_code="ta-IN") is None
    assert find_voice("nextneural", "nn-hi-in-f", language_code="en-IN") is None


def test_find_voice_elevenlabs_by_id_and_by_name() -> None:
    by_id = find_voice("elevenlabs", "EXAVITQu4vr4xnSDxMaL", language_code="en-US")
    assert by_id is not None
    assert (by_id.display_name, by_id.speaker) == ("Sarah", "EXAVITQu4vr4xnSDxMaL")
    assert find_voice("elevenlabs", "Sarah", language_code="en-US") == by_id
    assert find_voice("elevenlabs", "sarah", language_code="en-US") == by_id
    upper = find_voice("elevenlabs", "SARAH", model="eleven_multilingual_v2", language_code="en-US")
    assert upper == by_id
    any_lang = find_voice("elevenlabs", "Sarah")
    assert any_lang is not None and any_lang.speaker == "EXAVITQu4vr4xnSDxMaL"
    assert find_voice("elevenlabs", "JBFqnCBsd6RMkjVDRZzb") is not None
    assert find_voice("elevenlabs", "Sarah", model="eleven_turbo_v2") is None


def test_the_elevenlabs_voices_are_current_premade_ones_and_the_default_is_among_them() -> None:
    """The legacy premade voices (Rachel 21m00Tcm4TlvDq8ikWAM and her set) answer 404 today."""
    ids = speakers_of("elevenlabs")
    assert not ids & catalog.RETIRED_ELEVENLABS_VOICES
    assert "21m00Tcm4TlvDq8ikWAM" in catalog.RETIRED_ELEVENLABS_VOICES
    assert find_voice("elevenlabs", "Rachel") is None
    assert catalog.ELEVENLABS_DEFAULT_VOICE in ids


def test_a_sarvam_voice_without_a_speaker_gets_its_models_default_in_every_language() -> None:
    for language in SARVAM_LANGUAGES:
        assert catalog.default_speaker("bulbul:v2", language) == "anushka"
        assert catalog.default_speaker("bulbul:v3", language) == "shubh"
    assert catalog.default_speaker("bulbul:v9", "hi-IN") is None
    assert catalog.default_speaker("bulbul:v2", "fr-FR") is None


def test_find_voice_unknowns() -> None:
    assert find_voice("sarvam", "nobody") is None
    assert find_voice("nope", "anushka") is None
    assert find_voice("nextneural", "anushka") is None
    assert find_voice("sarvam", "Sarah") is None  # name aliases are ElevenLabs only


# ---- by_uuid --------------------------------------------------------------------------------


def test_by_uuid_round_trips() -> None:
    for v in all_voices():
        assert by_uuid(v.uuid) is v
    assert by_uuid("vs_" + "0" * 12) is None
    assert by_uuid("nope") is None


def test_voices_are_frozen() -> None:
    v = all_voices()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.speaker = "x"  # type: ignore[misc]
