"""The organisation's price table in GraphQL (REST extension rows: GET/PUT/DELETE /price-table).

Resolvers only call `PriceTableService`: the checks (ISO currency, meters, names, prices) live there, so
both doors reject the same tables with the same field-naming messages.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.billing.price_tables import PriceTableService
from app.billing.prices import PriceTable
from schema.context import Info, org_of
from schema.inputs import provided


@strawberry.type(name="Price")
class PriceType:
    meter: str = strawberry.field(
        description="telephony, stt, tts, llm_input, llm_output, tool_call, recording_storage"
    )
    provider: str = strawberry.field(description="sarvam, elevenlabs, openai, offline, ... or * for any")
    model: str = strawberry.field(description="e.g. gpt-4o-mini, bulbul:v2, or * for any")
    unit: str = strawberry.field(description="minute, audio_minute, 1k_characters, 1m_tokens, call or gb")
    unit_price: float
    is_default: bool = strawberry.field(description="A platform default, not a price the organisation set.")


@strawberry.type(name="PriceTable")
class PriceTableType:
    currency: str = strawberry.field(description="ISO 4217 code; INR by default.")
    telephony_billing: str = strawberry.field(description="per_started_minute or per_second")
    is_default: bool = strawberry.field(description="The organisation never saved a table: all defaults.")
    updated_at: datetime | None
    prices: list[PriceType]

    @classmethod
    def of(cls, table: PriceTable, updated_at: datetime | None) -> PriceTableType:
        return cls(
            currency=table.currency,
            telephony_billing=table.telephony_billing.value,
            is_default=table.is_default,
            updated_at=updated_at,
            prices=[
                PriceType(
                    meter=p.meter.value,
                    provider=p.provider,
                    model=p.model,
                    unit=p.unit,
                    unit_price=p.unit_price,
                    is_default=p.is_default,
                )
                for p in table.prices
            ],
        )


@strawberry.input
class PriceInput:
    meter: str
    unit_price: float
    provider: str | None = strawberry.field(default="*", description="* (any) when left out")
    model: str | None = strawberry.field(default="*", description="* (any) when left out")


@strawberry.input
class PriceTableInput:
    currency: str | None = strawberry.field(default="INR", description="ISO 4217 code")
    telephony_billing: str | None = strawberry.field(
        default="per_started_minute", description="per_started_minute or per_second"
    )
    prices: list[PriceInput] | None = strawberry.field(
        default_factory=list, description="Replaces the saved rows; meters left out keep the INR defaults."
    )


@strawberry.type
class PriceTableQueries:
    @strawberry.field(description="How the organisation's calls are priced (defaults marked is_default).")
    async def price_table(self, info: Info) -> PriceTableType:
        organisation = await org_of(info)
        return PriceTableType.of(*await PriceTableService().get(organisation))


@strawberry.type
class PriceTableMutations:
    @strawberry.mutation(description="Replace the price table; calls that end from now on are costed by it.")
    async def update_price_table(self, info: Info, input: PriceTableInput) -> PriceTableType:
        organisation = await org_of(info)
        return PriceTableType.of(*await PriceTableService().save(organisation, provided(input)))

    @strawberry.mutation(description="Back to the default prices.")
    async def reset_price_table(self, info: Info) -> PriceTableType:
        organisation = await org_of(info)
        return PriceTableType.of(*await PriceTableService().reset(organisation))
