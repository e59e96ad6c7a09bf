"""An organisation's price table: currency, the telephony billing rule and prices per meter, provider, model.

Lookup for a meter is most specific first: (provider, model), (provider, `*`), (`*`, `*`). An organisation
that never saved a table is priced by `DEFAULT_TABLE` (rows marked `is_default`): rough public list prices
in INR, to be replaced by the organisation's own contract. A saved table keeps the defaults for any meter
it does not price, as long as it is in the defaults' currency; in another currency an unpriced meter costs
nothing and the cost breakdown says `unpriced`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.billing.currencies import DEFAULT_CURRENCY, is_currency
from app.billing.meters import UNITS, Meter, TelephonyBilling
from app.errors import Invalid

ANY = "*"
MAX_ROWS = 200
MAX_UNIT_PRICE = 1_000_000.0
NAME = re.compile(r"^(\*|[a-z0-9][a-z0-9_.:-]{0,63})$")  # provider and model names (`bulbul:v2`, `gpt-4o-mini`)


@dataclass(frozen=True)
class Price:
    meter: Meter
    unit_price: float
    provider: str = ANY
    model: str = ANY
    is_default: bool = False

    @property
    def unit(self) -> str:
        return UNITS[self.meter][0]


@dataclass(frozen=True)
class PriceTable:
    currency: str = DEFAULT_CURRENCY
    telephony_billing: TelephonyBilling = TelephonyBilling.PER_STARTED_MINUTE
    prices: tuple[Price, ...] = ()
    is_default: bool = False  # nothing saved: the defaults

    def price_for(self, meter: Meter, provider: str, model: str) -> Price | None:
        for candidate in ((provider, model), (provider, ANY), (ANY, ANY)):
            for price in self.prices:
                if price.meter == meter and (price.provider, price.model) == candidate:
                    return price
        return None

    def with_defaults(self) -> PriceTable:
        """The saved rows, plus the default rows for meters this table does not price (same currency only)."""
        if self.currency != DEFAULT_CURRENCY:
            return self
        priced = {price.meter for price in self.prices}
        missing = tuple(price for price in DEFAULT_TABLE.prices if price.meter not in priced)
        return replace(self, prices=self.prices + missing)


def _default(meter: Meter, unit_price: float, provider: str = ANY, model: str = ANY) -> Price:
    return Price(meter, unit_price, provider, model, is_default=True)


# Defaults in INR (list prices converted at about 85 INR per USD, late 2026): placeholders, marked as such.
DEFAULT_TABLE = PriceTable(
    is_default=True,
    prices=(
        _default(Meter.TELEPHONY, 0.60),  # Exotel-like outbound, per minute
        _default(Meter.TELEPHONY, 0.0, "browser"),  # browser test calls: no carrier
        _default(Meter.STT, 0.50, "sarvam"),  # ~30 INR per audio hour
        _default(Meter.STT, 0.0, "offline"),
        _default(Meter.STT, 0.50),
        _default(Meter.TTS, 1.50, "sarvam"),  # ~15 INR per 10k characters
        _default(Meter.TTS, 8.50, "elevenlabs"),  # ~0.10 USD per 1k characters
        _default(Meter.TTS, 0.0, "offline"),
        _default(Meter.TTS, 1.50),
        _default(Meter.LLM_INPUT, 12.75, "openai"),  # gpt-4o-mini: 0.15 USD per 1M
        _default(Meter.LLM_OUTPUT, 51.0, "openai"),  # gpt-4o-mini: 0.60 USD per 1M
        _default(Meter.LLM_INPUT, 0.0, "offline"),
        _default(Meter.LLM_OUTPUT, 0.0, "offline"),
        _default(Meter.LLM_INPUT, 12.75),
        _default(Meter.LLM_OUTPUT, 51.0),
        _default(Meter.TOOL_CALL, 0.0),
        _default(Meter.RECORDING_STORAGE, 2.0),  # per GB stored
    ),
)


def _name(where: str, value: Any) -> str:
    if value is None:
        return ANY
    if not isinstance(value, str) or not NAME.match(value.strip()):
        raise Invalid(f"{where} must be `*` or a lower-case name of at most 64 characters (letters, digits, _ . : -)")
    return value.strip()


def _enum_value(where: str, value: Any, kind: type[Meter] | type[TelephonyBilling]) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise Invalid(f"{where} must be one of {', '.join(item.value for item in kind)}") from None


def parse_price_table(data: Mapping[str, Any]) -> PriceTable:
    """Checks a whole table before anything is stored; every error names the field (`prices[2].unit_price`)."""
    currency = data.get("currency", DEFAULT_CURRENCY)
    if not is_currency(currency):
        raise Invalid("currency must be an ISO 4217 code in upper case, like INR or USD")
    billing = _enum_value(
        "telephony_billing",
        data.get("telephony_billing") or TelephonyBilling.PER_STARTED_MINUTE.value,
        TelephonyBilling,
    )
    rows = data.get("prices")
    if rows is None:
        rows = []
    if not isinstance(rows, Sequence) or isinstance(rows, (str, bytes)):
        raise Invalid("prices must be a list")
    if len(rows) > MAX_ROWS:
        raise Invalid(f"prices must have at most {MAX_ROWS} rows")
    prices: list[Price] = []
    seen: dict[tuple[Meter, str, str], int] = {}
    for index, row in enumerate(rows):
        where = f"prices[{index}]"
        if not isinstance(row, Mapping):
            raise Invalid(f"{where} must be an object")
        meter = _enum_value(f"{where}.meter", row.get("meter"), Meter)
        provider = _name(f"{where}.provider", row.get("provider"))
        model = _name(f"{where}.model", row.get("model"))
        unit_price = row.get("unit_price")
        if (
            isinstance(unit_price, bool)
            or not isinstance(unit_price, (int, float))
            or not math.isfinite(unit_price)
            or not 0 <= unit_price <= MAX_UNIT_PRICE
        ):
            raise Invalid(f"{where}.unit_price must be a number from 0 to {MAX_UNIT_PRICE:g}")
        key = (meter, provider, model)
        if key in seen:
            raise Invalid(
                f"{where} prices {meter.value} for provider {provider} and model {model} again (prices[{seen[key]}])"
            )
        seen[key] = index
        prices.append(Price(meter, float(unit_price), provider, model))
    return PriceTable(currency=currency, telephony_billing=billing, prices=tuple(prices))


def table_as_dict(table: PriceTable) -> dict[str, Any]:
    """The stored form (JSON column); `is_default` rows are never stored."""
    return {
        "currency": table.currency,
        "telephony_billing": table.telephony_billing.value,
        "prices": [
            {"meter": p.meter.value, "provider": p.provider, "model": p.model, "unit_price": p.unit_price}
            for p in table.prices
            if not p.is_default
        ],
    }
