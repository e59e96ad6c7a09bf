"""Set-based writes of a batch of checked customer records: one SELECT, one INSERT, one UPDATE and the
tag links, all in one transaction, so a batch is written whole or not at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.db.models import Customer
from app.ids import new_id
from app.services import customer_tags
from app.services.customer_fields import merged

Mode = Literal["upsert", "append"]
MODES = ("upsert", "append")
UPDATED_FIELDS = ("name", "search_name", "email", "preferred_language", "metadata", "tags", "updated_at")
EXISTING = ("id", "phone", "name", "search_name", "email", "preferred_language", "metadata", "tags")


@dataclass(frozen=True)
class RowError:
    row: int
    phone: str | None
    reason: str


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    """A checked record and where it came from (array index or file line)."""

    number: int
    fields: dict[str, Any]


async def write_batch(organisation_id: str, rows: list[Row], mode: Mode) -> BatchResult:
    """Write checked rows whose phones are distinct; retried once if a concurrent writer took a phone."""
    try:
        return await _write(organisation_id, rows, mode)
    except IntegrityError:
        return await _write(organisation_id, rows, mode)


async def _write(organisation_id: str, rows: list[Row], mode: Mode) -> BatchResult:
    result = BatchResult()
    if not rows:
        return result
    now = datetime.now(timezone.utc)
    async with in_transaction():
        existing = {
            record["phone"]: record
            for record in await Customer.filter(
                organisation_id=organisation_id, phone__in=[row.fields["phone"] for row in rows]
            ).values(*EXISTING)
        }
        inserts: list[Customer] = []
        updates: list[Customer] = []
        new_tags: dict[str, list[str]] = {}
        changed_tags: dict[str, list[str]] = {}
        for row in rows:
            current = existing.get(row.fields["phone"])
            if current is None:
                values = {"metadata": {}, "tags": [], **row.fields}
                customer = Customer(id=new_id("cst"), organisation_id=organisation_id, created_at=now,
                                    updated_at=now, **values)
                inserts.append(customer)
                if customer.tags:
                    new_tags[customer.id] = customer.tags
            elif mode == "append":
                result.errors.append(RowError(row.number, row.fields["phone"], "a customer with this phone already exists"))
            else:
                values = {**current, **merged(current, row.fields), "updated_at": now}
                customer = Customer(organisation_id=organisation_id, **values)
                customer._saved_in_db = True
                updates.append(customer)
                if "tags" in row.fields:
                    changed_tags[customer.id] = row.fields["tags"]
        if inserts:
            await Customer.bulk_create(inserts, batch_size=1000)
        if updates:
            await Customer.bulk_update(updates, fields=list(UPDATED_FIELDS), batch_size=1000)
        await customer_tags.link(organisation_id, new_tags, replace=False)
        await customer_tags.link(organisation_id, changed_tags, replace=True)
    result.created, result.updated = len(inserts), len(updates)
    return result


def first_of_each_phone(rows: list[Row], seen: dict[str, int] | None = None) -> tuple[list[Row], list[RowError]]:
    """The first record of a phone wins; later ones are reported, so counts add up to the input."""
    seen = {} if seen is None else seen
    kept: list[Row] = []
    errors: list[RowError] = []
    for row in rows:
        phone = row.fields["phone"]
        first = seen.setdefault(phone, row.number)
        if first != row.number:
            errors.append(RowError(row.number, phone, f"phone repeats row {first}, which was used"))
        else:
            kept.append(row)
    return kept, errors
