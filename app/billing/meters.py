"""What is metered on a call, the unit each meter is priced in, and how the carrier bills telephony."""

from __future__ import annotations

import math
from enum import Enum


class Meter(str, Enum):
    TELEPHONY = "telephony"
    STT = "stt"
    TTS = "tts"
    LLM_INPUT = "llm_input"
    LLM_OUTPUT = "llm_output"
    TOOL_CALL = "tool_call"
    RECORDING_STORAGE = "recording_storage"


# The unit a price is per, and how many usage units (seconds, characters, tokens, bytes) make one of it.
UNITS: dict[Meter, tuple[str, float]] = {
    Meter.TELEPHONY: ("minute", 1.0),  # billed minutes, after the billing rule
    Meter.STT: ("audio_minute", 60.0),  # from seconds
    Meter.TTS: ("1k_characters", 1000.0),
    Meter.LLM_INPUT: ("1m_tokens", 1_000_000.0),
    Meter.LLM_OUTPUT: ("1m_tokens", 1_000_000.0),
    Meter.TOOL_CALL: ("call", 1.0),
    Meter.RECORDING_STORAGE: ("gb", 1_000_000_000.0),
}


class TelephonyBilling(str, Enum):
    """The carrier's rule: Exotel and most Indian carriers bill each started minute (pulse of 60 s); some
    plans bill by the second."""

    PER_STARTED_MINUTE = "per_started_minute"
    PER_SECOND = "per_second"


def billed_minutes(seconds: int, rule: TelephonyBilling) -> float:
    if seconds <= 0:
        return 0.0
    if rule == TelephonyBilling.PER_STARTED_MINUTE:
        return float(math.ceil(seconds / 60))
    return round(seconds / 60, 4)
