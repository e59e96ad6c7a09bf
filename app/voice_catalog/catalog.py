"""Built-in TTS voice catalog: the providers' fixed voices, kept as static typed data.

An organisation's own deployed custom voices live in the database and are merged in by the
samples service; this module only knows what every installation ships with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from types import MappingProxyType
from typing import Literal

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_SPEAKERS",
    "ELEVENLABS_DEFAULT_VOICE",
    "ESPEAK_VOICE",
    "LANGUAGE_NAMES",
    "RETIRED_ELEVENLABS_VOICES",
    "SARVAM_LANGUAGES",
    "CatalogVoice",
    "Gender",
    "VoiceProvider",
    "all_voices",
    "by_uuid",
    "default_speaker",
    "find_voice",
    "find_voices",
    "languages_of",
    "speakers_of",
    "voice_uuid",
]

Gender = Literal["female", "male", "neutral"]


class VoiceProvider(str, Enum):
    SARVAM = "sarvam"
    NEXTNEURAL = "nextneural"
    ELEVENLABS = "elevenlabs"


@dataclass(frozen=True, slots=True)
class CatalogVoice:
    uuid: str  # "vs_" + 12 hex chars, see voice_uuid()
    provider: VoiceProvider
    model: str
    speaker: str  # the provider's speaker id as sent to its API
    display_name: str
    gender: Gender
    language_code: str  # BCP-47, e.g. "hi-IN"
    language_name: str  # English name, e.g. "Hindi"


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "bn-IN": "Bengali",
        "en-IN": "English (India)",
        "en-US": "English (US)",
        "gu-IN": "Gujarati",
        "hi-IN": "Hindi",
        "kn-IN": "Kannada",
        "ml-IN": "Malayalam",
        "mr-IN": "Marathi",
        "od-IN": "Odia",
        "pa-IN": "Punjabi",
        "ta-IN": "Tamil",
        "te-IN": "Telugu",
    }
)

SARVAM_LANGUAGES: tuple[str, ...] = (
    "bn-IN",
    "en-IN",
    "gu-IN",
    "hi-IN",
    "kn-IN",
    "ml-IN",
    "mr-IN",
    "od-IN",
    "pa-IN",
    "ta-IN",
    "te-IN",
)

DEFAULT_MODELS: Mapping[VoiceProvider, str] = MappingProxyType(
    {
        VoiceProvider.SARVAM: "bulbul:v3",
        VoiceProvider.NEXTNEURAL: "espeak-ng",
        VoiceProvider.ELEVENLABS: "eleven_multilingual_v2",
    }
)

# Default speaker per model, where the provider documents one (bulbul:v2's first listed voice otherwise).
DEFAULT_SPEAKERS: Mapping[str, str] = MappingProxyType({"bulbul:v3": "shubh", "bulbul:v2": "anushka"})

# Sarvam: model -> (speaker, gender). The API accepts a model's speakers only on that model.
_SARVAM_SPEAKERS: Mapping[str, tuple[tuple[str, Gender], ...]] = MappingProxyType(
    {
        "bulbul:v2": (
            ("anushka", "female"),
            ("manisha", "female"),
            ("vidya", "female"),
            ("arya", "female"),
            ("abhilash", "male"),
            ("karun", "male"),
            ("hitesh", "male"),
        ),
        "bulbul:v3": (
            ("shubh", "male"),
            ("aditya", "male"),
            ("ritu", "female"),
            ("priya", "female"),
            ("neha", "female"),
            ("rahul", "male"),
            ("pooja", "female"),
            ("rohan", "male"),
            ("simran", "female"),
            ("kavya", "female"),
            ("amit", "male"),
            ("dev", "male"),
            ("ishita", "female"),
            ("shreya", "female"),
            ("ratan", "male"),
            ("varun", "male"),
            ("manan", "male"),
            ("sumit", "male"),
            ("roopa", "female"),
            ("kabir", "male"),
            ("aayan", "male"),
            ("ashutosh", "male"),
            ("advait", "male"),
            ("anand", "male"),
            ("tanya", "female"),
            ("tarun", "male"),
            ("sunny", "male"),
            ("mani", "male"),
            ("gokul", "male"),
            ("vijay", "male"),
            ("shruti", "female"),
            ("suhani", "female"),
            ("mohit", "male"),
            ("kavitha", "female"),
            ("rehan", "male"),
            ("soham", "male"),
            ("rupali", "female"),
        ),
    }
)

_ELEVENLABS_MODEL = "eleven_multilingual_v2"
_ELEVENLABS_LANGUAGES: tuple[str, ...] = ("en-IN", "en-US", "hi-IN")
# (display name, voice_id, gender): ElevenLabs' current premade voices. The legacy premade set (Rachel
# 21m00Tcm4TlvDq8ikWAM, Domi, Antoni, Elli, Josh, Arnold, Adam, Sam) is retired and answers 404.
_ELEVENLABS_VOICES: tuple[tuple[str, str, Gender], ...] = (
    ("Sarah", "EXAVITQu4vr4xnSDxMaL", "female"),
    ("Laura", "FGY2WhTYpPnrIDTdsKH5", "female"),
    ("Alice", "Xb7hH8MSUJpSbSDYk0k2", "female"),
    ("Matilda", "XrExE9yKIg1WjnnlVkGX", "female"),
    ("Jessica", "cgSgspJ2msm6clMCkdW9", "female"),
    ("Lily", "pFZP5JQG7iQjIQuC4Bku", "female"),
    ("River", "SAz9YHcvj6GT2YYXdXww", "neutral"),
    ("Roger", "CwhRBWXzGAHq8TQ4Fs17", "male"),
    ("Charlie", "IKne3meq5aSn9XLyUdCD", "male"),
    ("George", "JBFqnCBsd6RMkjVDRZzb", "male"),
    ("Callum", "N2lVS1w4EtoT3dr4eOWO", "male"),
    ("Liam", "TX3LPaxmHKxFdv7VOQHJ", "male"),
    ("Will", "bIHbv24MWmeRgasZH58o", "male"),
    ("Eric", "cjVigY5qzO86Huf0OWal", "male"),
    ("Chris", "iP95p4xoKVk53GoZ742B", "male"),
    ("Brian", "nPczCjzI2devNBz1zQrb", "male"),
    ("Daniel", "onwK4e9ZLuTAKqWW03F9", "male"),
    ("Bill", "pqHfZKP75CvOlQylNhV4", "male"),
)
# The voice an ElevenLabs agent without a speaker gets (George); `VOICEAI_ELEVENLABS_DEFAULT_VOICE` overrides it.
ELEVENLABS_DEFAULT_VOICE = "JBFqnCBsd6RMkjVDRZzb"
RETIRED_ELEVENLABS_VOICES: frozenset[str] = frozenset(
    {
        "21m00Tcm4TlvDq8ikWAM",
        "AZnzlk1XvdvUeBnXmlld",
        "ErXwobaYiN019PkySvjV",
        "MF3mGyEYCl7XYWbV9V6O",
        "TxGEqnHWrfWFTfGW9XjX",
        "VR6AewLTigWG4xSOukaG",
        "pNInz6obpgDQGcFmaJgB",
        "yoZ06aMxZJJ28mfd3POQ",
    }
)

_NEXTNEURAL_MODEL = "espeak-ng"
# language_code -> espeak-ng voice name used by the platform's offline NextNeural voices.
ESPEAK_VOICE: Mapping[str, str] = MappingProxyType(
    {
        "en-IN": "en",
        "en-US": "en-us",
        "hi-IN": "hi",
        "ta-IN": "ta",
        "te-IN": "te",
        "kn-IN": "kn",
        "mr-IN": "mr",
        "bn-IN": "bn",
        "gu-IN": "gu",
        "ml-IN": "ml",
        "pa-IN": "pa",
    }
)

# Providers whose speaker ids are matched case-insensitively (and stored lower-case).
_CASE_INSENSITIVE_SPEAKERS: frozenset[str] = frozenset({VoiceProvider.SARVAM.value, VoiceProvider.NEXTNEURAL.value})
# Providers whose voices may also be looked up by display name (case-insensitive).
_NAME_ALIASED: frozenset[str] = frozenset({VoiceProvider.ELEVENLABS.value})


# --------------------------------------------------------------------------------------------
# Construction
# --------------------------------------------------------------------------------------------


def voice_uuid(provider: VoiceProvider | str, model: str, speaker: str, language_code: str) -> str:
    """Deterministic catalog id: "vs_" + 12 hex chars of sha1("provider|model|speaker|lang")."""
    provider_value = provider.value if isinstance(provider, VoiceProvider) else provider
    key = f"{provider_value}|{model}|{speaker}|{language_code}"
    return "vs_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _voice(
    provider: VoiceProvider,
    model: str,
    speaker: str,
    display_name: str,
    gender: Gender,
    language_code: str,
) -> CatalogVoice:
    return CatalogVoice(
        uuid=voice_uuid(provider, model, speaker, language_code),
        provider=provider,
        model=model,
        speaker=speaker,
        display_name=display_name,
        gender=gender,
        language_code=language_code,
        language_name=LANGUAGE_NAMES[language_code],
    )


def _sarvam_voices() -> Iterable[CatalogVoice]:
    for model, speakers in _SARVAM_SPEAKERS.items():
        for speaker, gender in speakers:
            for lang in SARVAM_LANGUAGES:
                yield _voice(VoiceProvider.SARVAM, model, speaker, speaker.capitalize(), gender, lang)


def _elevenlabs_voices() -> Iterable[CatalogVoice]:
    for name, voice_id, gender in _ELEVENLABS_VOICES:
        for lang in _ELEVENLABS_LANGUAGES:
            yield _voice(VoiceProvider.ELEVENLABS, _ELEVENLABS_MODEL, voice_id, name, gender, lang)


def _nextneural_voices() -> Iterable[CatalogVoice]:
    genders: tuple[tuple[str, Gender], ...] = (("f", "female"), ("m", "male"))
    for lang in ESPEAK_VOICE:
        for suffix, gender in genders:
            yield _voice(
                VoiceProvider.NEXTNEURAL,
                _NEXTNEURAL_MODEL,
                f"nn-{lang.lower()}-{suffix}",
                f"NextNeural {LANGUAGE_NAMES[lang]} ({gender})",
                gender,
                lang,
            )


def _sort_key(v: CatalogVoice) -> tuple[str, str, str, str]:
    return (v.provider.value, v.model, v.display_name, v.language_code)


# --------------------------------------------------------------------------------------------
# Indexes (built once)
# --------------------------------------------------------------------------------------------

_SpeakerKey = tuple[str, str, str | None, str | None]  # provider, speaker key, model?, lang?


@dataclass(frozen=True, slots=True)
class _Index:
    voices: tuple[CatalogVoice, ...]
    by_uuid: Mapping[str, CatalogVoice]
    by_filter: Mapping[tuple[str | None, str | None], tuple[CatalogVoice, ...]]
    by_speaker: Mapping[_SpeakerKey, CatalogVoice]
    by_name: Mapping[_SpeakerKey, CatalogVoice]
    speakers: Mapping[tuple[str, str | None], frozenset[str]]
    languages: Mapping[tuple[str, str | None], frozenset[str]]


def _speaker_key(provider: str, speaker: str) -> str:
    speaker = speaker.strip()
    return speaker.lower() if provider in _CASE_INSENSITIVE_SPEAKERS else speaker


def _lang_key(language_code: str) -> str:
    return language_code.strip().replace("_", "-").lower()


def _model_key(model: str) -> str:
    return model.strip().lower()


def _provider_key(provider: VoiceProvider | str) -> str:
    if isinstance(provider, VoiceProvider):
        return provider.value
    return provider.strip().lower()


@cache
def _index() -> _Index:
    voices = tuple(sorted((*_sarvam_voices(), *_elevenlabs_voices(), *_nextneural_voices()), key=_sort_key))

    uuids: dict[str, CatalogVoice] = {}
    by_filter: dict[tuple[str | None, str | None], list[CatalogVoice]] = {}
    by_speaker: dict[_SpeakerKey, CatalogVoice] = {}
    by_name: dict[_SpeakerKey, CatalogVoice] = {}
    speakers: dict[tuple[str, str | None], set[str]] = {}
    languages: dict[tuple[str, str | None], set[str]] = {}

    # For find_voice with wildcards, prefer the provider's default model, then catalog order.
    def preference(v: CatalogVoice) -> tuple[bool, tuple[str, str, str, str]]:
        return (v.model != DEFAULT_MODELS[v.provider], _sort_key(v))

    for v in sorted(voices, key=preference):
        if v.uuid in uuids:
            raise RuntimeError(f"voice catalog id collision: {v.uuid}")
        uuids[v.uuid] = v

        p, m, lang = v.provider.value, _model_key(v.model), _lang_key(v.language_code)
        for model_opt in (m, None):
            for lang_opt in (lang, None):
                by_speaker.setdefault((p, _speaker_key(p, v.speaker), model_opt, lang_opt), v)
                if p in _NAME_ALIASED:
                    by_name.setdefault((p, v.display_name.casefold(), model_opt, lang_opt), v)
            speakers.setdefault((p, model_opt), set()).add(v.speaker)
            languages.setdefault((p, model_opt), set()).add(v.language_code)

    for v in voices:  # catalog order
        p, lang = v.provider.value, _lang_key(v.language_code)
        for provider_opt in (p, None):
            for lang_opt in (lang, None):
                by_filter.setdefault((provider_opt, lang_opt), []).append(v)

    return _Index(
        voices=voices,
        by_uuid=MappingProxyType(uuids),
        by_filter=MappingProxyType({k: tuple(vs) for k, vs in by_filter.items()}),
        by_speaker=MappingProxyType(by_speaker),
        by_name=MappingProxyType(by_name),
        speakers=MappingProxyType({k: frozenset(s) for k, s in speakers.items()}),
        languages=MappingProxyType({k: frozenset(s) for k, s in languages.items()}),
    )


# --------------------------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------------------------


def all_voices() -> tuple[CatalogVoice, ...]:
    """Every built-in voice, ordered by (provider, model, display_name, language_code)."""
    return _index().voices


def find_voices(provider: VoiceProvider | str | None = None, language_code: str | None = None) -> list[CatalogVoice]:
    """Voices matching the given provider and/or language (case-insensitive), in catalog order."""
    key = (
        _provider_key(provider) if provider is not None else None,
        _lang_key(language_code) if language_code is not None else None,
    )
    return list(_index().by_filter.get(key, ()))


def find_voice(
    provider: VoiceProvider | str,
    speaker: str,
    *,
    model: str | None = None,
    language_code: str | None = None,
) -> CatalogVoice | None:
    """The voice for a provider's speaker id (or, for ElevenLabs, its display name).

    Sarvam and NextNeural speakers match case-insensitively; ElevenLabs voice ids match exactly
    and display names case-insensitively. With model or language omitted, the provider's default
    model is preferred, then catalog order. A speaker asked for on a model that does not offer it
    gives None.
    """
    p = _provider_key(provider)
    m = _model_key(model) if model is not None else None
    lang = _lang_key(language_code) if language_code is not None else None
    idx = _index()
    found = idx.by_speaker.get((p, _speaker_key(p, speaker), m, lang))
    if found is None and p in _NAME_ALIASED:
        found = idx.by_name.get((p, speaker.strip().casefold(), m, lang))
    return found


def default_speaker(model: str, language_code: str) -> str | None:
    """The speaker a Sarvam voice without one gets on `model` in `language_code`, if the model is known.

    Every Sarvam speaker speaks every language of its model, so today each language gets the model's
    default; the answer is always one the model offers in that language."""
    speaker = DEFAULT_SPEAKERS.get(_model_key(model))
    if speaker is None or find_voice(VoiceProvider.SARVAM, speaker, model=model, language_code=language_code) is None:
        return None
    return speaker


def speakers_of(provider: VoiceProvider | str, model: str | None = None) -> frozenset[str]:
    """Known speaker ids for a provider (optionally one model); Sarvam ids are lower-case."""
    m = _model_key(model) if model is not None else None
    return _index().speakers.get((_provider_key(provider), m), frozenset())


def languages_of(provider: VoiceProvider | str, model: str | None = None) -> frozenset[str]:
    """BCP-47 codes offered by a provider (optionally one model)."""
    m = _model_key(model) if model is not None else None
    return _index().languages.get((_provider_key(provider), m), frozenset())


def by_uuid(uuid: str) -> CatalogVoice | None:
    """The voice with this catalog id, or None."""
    return _index().by_uuid.get(uuid.strip())
