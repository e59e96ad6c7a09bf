"""Usage x prices = a call's cost breakdown: one line per meter, with the price that was applied.

Each line says which price row it used (`is_default` when it came from the default table) or `unpriced`
when no row matched; the total is the sum of the lines, rounded to the currency's minor unit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from app.billing.currencies import round_amount
from app.billing.meters import UNITS, Meter, billed_minutes
from app.billing.prices import ANY, PriceTable
from app.billing.usage import CallUsage, ProviderUse

# Which provider kind of the usage each meter is priced by.
_PROVIDER_KIND = {
    Meter.TELEPHONY: "telephony",
    Meter.STT: "stt",
    Meter.TTS: "tts",
    Meter.LLM_INPUT: "llm",
    Meter.LLM_OUTPUT: "llm",
}


@dataclass(frozen=True)
class CostLine:
    meter: str
    provider: str
    model: str
    quantity: float  # in `unit`s
    unit: str
    unit_price: float
    amount: float
    is_default_price: bool
    unpriced: bool = False


@dataclass(frozen=True)
class CallCost:
    currency: str
    total: float
    telephony_billing: str
    lines: tuple[CostLine, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "total": self.total,
            "telephony_billing": self.telephony_billing,
            "lines": [asdict(line) for line in self.lines],
        }


def _quantities(usage: CallUsage, table: PriceTable) -> dict[Meter, float]:
    raw = {
        Meter.TELEPHONY: billed_minutes(usage.telephony_seconds, table.telephony_billing),
        Meter.STT: usage.stt_audio_seconds,
        Meter.TTS: float(usage.tts_characters),
        Meter.LLM_INPUT: float(usage.llm_input_tokens),
        Meter.LLM_OUTPUT: float(usage.llm_output_tokens),
        Meter.TOOL_CALL: float(usage.tool_calls),
        Meter.RECORDING_STORAGE: float(usage.recording_bytes),
    }
    return {meter: value / UNITS[meter][1] for meter, value in raw.items()}


def cost_of(usage: CallUsage, table: PriceTable) -> CallCost:
    table = table.with_defaults()
    lines: list[CostLine] = []
    for meter, quantity in _quantities(usage, table).items():
        kind = _PROVIDER_KIND.get(meter)
        use = usage.providers.get(kind, ProviderUse(ANY, ANY)) if kind else ProviderUse(ANY, ANY)
        price = table.price_for(meter, use.provider, use.model)
        unit = UNITS[meter][0]
        if price is None:
            lines.append(
                CostLine(
                    meter.value,
                    use.provider,
                    use.model,
                    round(quantity, 6),
                    unit,
                    0.0,
                    0.0,
                    False,
                    unpriced=quantity > 0,
                )
            )
            continue
        amount = quantity * price.unit_price
        lines.append(
            CostLine(
                meter.value,
                use.provider,
                use.model,
                round(quantity, 6),
                unit,
                price.unit_price,
                round(amount, 6),
                price.is_default,
            )
        )
    total = round_amount(sum(line.amount for line in lines), table.currency)
    return CallCost(table.currency, total, table.telephony_billing.value, tuple(lines))
