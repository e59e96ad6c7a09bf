"""Reading and saving an organisation's price table (one row; none means the defaults).

Saving replaces the whole table after every row was checked (`parse_price_table`), so a rejected table
leaves the stored one untouched; resetting deletes the row and the defaults apply again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from app.billing.meters import Meter, TelephonyBilling
from app.billing.prices import DEFAULT_TABLE, Price, PriceTable, parse_price_table, table_as_dict
from app.db.models import PriceTable as PriceTableRow
from app.ids import new_id


def table_of_row(body: Mapping[str, Any]) -> PriceTable:
    return PriceTable(
        currency=str(body.get("currency") or DEFAULT_TABLE.currency),
        telephony_billing=TelephonyBilling(body.get("telephony_billing") or TelephonyBilling.PER_STARTED_MINUTE),
        prices=tuple(
            Price(Meter(row["meter"]), float(row["unit_price"]), row.get("provider") or "*", row.get("model") or "*")
            for row in body.get("prices") or ()
        ),
    )


class PriceTableService:
    async def get(self, organisation_id: str) -> tuple[PriceTable, datetime | None]:
        """The table as it prices calls (saved rows, then defaults) and when it was saved (None: defaults)."""
        row = await PriceTableRow.get_or_none(organisation_id=organisation_id)
        if row is None:
            return DEFAULT_TABLE, None
        return table_of_row(row.body or {}).with_defaults(), row.updated_at

    async def save(self, organisation_id: str, data: Mapping[str, Any]) -> tuple[PriceTable, datetime | None]:
        table = parse_price_table(data)
        body = table_as_dict(table)
        updated = await PriceTableRow.filter(organisation_id=organisation_id).update(currency=table.currency, body=body)
        if not updated:
            try:
                await PriceTableRow.create(
                    id=new_id("prc"), organisation_id=organisation_id, currency=table.currency, body=body
                )
            except IntegrityError:  # a concurrent first save won: this one replaces it
                await PriceTableRow.filter(organisation_id=organisation_id).update(currency=table.currency, body=body)
        return await self.get(organisation_id)

    async def reset(self, organisation_id: str) -> tuple[PriceTable, datetime | None]:
        await PriceTableRow.filter(organisation_id=organisation_id).delete()
        return DEFAULT_TABLE, None
