"""A call's latency, usage and cost in GraphQL (extension fields of the call and its transcript turns).

Plain views of the stored JSON: the numbers were computed by `app.latency` and `app.billing` when the
call ran and ended, so resolvers only shape them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry


@strawberry.type(description="Which providers served the turn (metrics labels: sarvam, elevenlabs, openai, ...).")
class TurnProvidersType:
    stt: str
    llm: str
    tts: str


@strawberry.type(
    name="TurnLatency",
    description=(
        "An agent reply's latency in ms. Stages are consecutive: endpoint (caller's last voiced frame to the "
        "endpoint), stt (to the final transcript), queue (to the LLM request), llm (time to first token), sentence "
        "(to the first sentence), tts (to its first audio), send (to the first frame sent to the carrier); they add "
        "up to voice_to_voice_ms when every stage happened."
    ),
)
class TurnLatencyType:
    voice_to_voice_ms: int | None
    endpoint_ms: int | None
    stt_ms: int | None
    queue_ms: int | None
    llm_ms: int | None
    sentence_ms: int | None
    tts_ms: int | None
    send_ms: int | None
    interrupted: bool
    heard_ms: int = strawberry.field(description="Agent audio the caller heard before the reply ended or was cut.")
    spoken_ms: int = strawberry.field(description="Agent audio the reply had by then.")
    providers: TurnProvidersType

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> TurnLatencyType | None:
        if not data:
            return None
        providers = data.get("providers") or {}

        def ms(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value is not None else None

        return cls(
            voice_to_voice_ms=ms("voice_to_voice_ms"),
            endpoint_ms=ms("endpoint_ms"),
            stt_ms=ms("stt_ms"),
            queue_ms=ms("queue_ms"),
            llm_ms=ms("llm_ms"),
            sentence_ms=ms("sentence_ms"),
            tts_ms=ms("tts_ms"),
            send_ms=ms("send_ms"),
            interrupted=bool(data.get("interrupted")),
            heard_ms=int(data.get("heard_ms") or 0),
            spoken_ms=int(data.get("spoken_ms") or 0),
            providers=TurnProvidersType(
                stt=str(providers.get("stt", "other")),
                llm=str(providers.get("llm", "other")),
                tts=str(providers.get("tts", "other")),
            ),
        )


@strawberry.type(name="CallLatency", description="Voice-to-voice over the call's agent replies, in ms.")
class CallLatencyType:
    turns: int
    interrupted: int
    p50_voice_to_voice_ms: int | None
    p95_voice_to_voice_ms: int | None
    max_voice_to_voice_ms: int | None

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> CallLatencyType | None:
        if not data:
            return None
        return cls(
            turns=int(data.get("turns") or 0),
            interrupted=int(data.get("interrupted") or 0),
            p50_voice_to_voice_ms=data.get("p50_voice_to_voice_ms"),
            p95_voice_to_voice_ms=data.get("p95_voice_to_voice_ms"),
            max_voice_to_voice_ms=data.get("max_voice_to_voice_ms"),
        )


@strawberry.type(description="Which provider and model a kind of usage went to.")
class ProviderUseType:
    kind: str = strawberry.field(description="telephony, stt, tts or llm")
    provider: str
    model: str


@strawberry.type(name="CallUsage", description="What the call used.")
class CallUsageType:
    telephony_seconds: int
    stt_audio_seconds: float
    tts_characters: int
    llm_input_tokens: int
    llm_output_tokens: int
    llm_tokens_estimated: bool = strawberry.field(
        description="Some tokens were counted by the platform (about 4 characters a token), not by the provider."
    )
    tool_calls: int
    recording_bytes: int
    providers: list[ProviderUseType]

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> CallUsageType | None:
        if not data:
            return None
        providers = data.get("providers") or {}
        return cls(
            telephony_seconds=int(data.get("telephony_seconds") or 0),
            stt_audio_seconds=float(data.get("stt_audio_seconds") or 0.0),
            tts_characters=int(data.get("tts_characters") or 0),
            llm_input_tokens=int(data.get("llm_input_tokens") or 0),
            llm_output_tokens=int(data.get("llm_output_tokens") or 0),
            llm_tokens_estimated=bool(data.get("llm_tokens_estimated")),
            tool_calls=int(data.get("tool_calls") or 0),
            recording_bytes=int(data.get("recording_bytes") or 0),
            providers=[
                ProviderUseType(kind=kind, provider=str(use.get("provider")), model=str(use.get("model")))
                for kind, use in sorted(providers.items())
            ],
        )


@strawberry.type(description="One meter of the cost: quantity x unit_price = amount.")
class CostLineType:
    meter: str = strawberry.field(
        description="telephony, stt, tts, llm_input, llm_output, tool_call, recording_storage"
    )
    provider: str
    model: str
    quantity: float
    unit: str
    unit_price: float
    amount: float
    is_default_price: bool = strawberry.field(description="Priced by the platform's default table.")
    unpriced: bool = strawberry.field(description="Used, but the price table has no price for it.")


@strawberry.type(name="CallCost", description="The call's cost by the organisation's price table at its end.")
class CallCostType:
    currency: str
    total: float
    telephony_billing: str
    lines: list[CostLineType]

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> CallCostType | None:
        if not data:
            return None
        return cls(
            currency=str(data.get("currency")),
            total=float(data.get("total") or 0.0),
            telephony_billing=str(data.get("telephony_billing")),
            lines=[CostLineType(**line) for line in data.get("lines") or ()],
        )
