"""Set-based writes of a batch of checked customer records in one transaction, so a batch is written whole
or not at all: one SELECT of the known phones (locked on PostgreSQL), one INSERT of the new customers, one
UPDATE of the known ones and the tag links.

The statements are plain parameterised SQL rather than `bulk_create`/`bulk_update`, which spent more time
building model objects and a 1000-branch `CASE` than the database spent writing. On PostgreSQL each
statement takes its rows as a few arrays (`unnest`), so it is one round trip and one cached prepared
statement whatever the batch size; on SQLite, which has no round trips, rows go through `executemany`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.customers import tags as customer_tags
from app.customers.fields import merged
from app.db.models import Customer
from app.db.sql import dialect, execute, execute_many, fetch, placeholders
from app.ids import new_id

Mode = Literal["upsert", "append"]
MODES = ("upsert", "append")
SQLITE_IN_CHUNK = 500  # phones per `IN (...)`, well under any SQLite build's variable limit
_JSON = Customer._meta.fields_map["metadata"]  # the ORM's own JSON encoding, so stored text is identical

INSERT_PG = (
    "INSERT INTO customers (id, organisation_id, name, search_name, phone, email, tags, preferred_language, "
    "metadata, total_calls, inbound_calls, outbound_calls, created_at, updated_at) "
    "SELECT v.id, ?, v.name, v.search_name, v.phone, v.email, v.tags::jsonb, v.preferred_language, "
    "v.metadata::jsonb, 0, 0, 0, ?, ? "
    "FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::text[], ?::varchar[], "
    "?::text[]) AS v(id, name, search_name, phone, email, tags, preferred_language, metadata)"
)
UPDATE_PG = (
    "UPDATE customers AS c SET name = v.name, search_name = v.search_name, email = v.email, tags = v.tags::jsonb, "
    "preferred_language = v.preferred_language, metadata = v.metadata::jsonb, updated_at = ? "
    "FROM unnest(?::varchar[], ?::varchar[], ?::varchar[], ?::varchar[], ?::text[], ?::varchar[], ?::text[]) "
    "AS v(id, name, search_name, email, tags, preferred_language, metadata) WHERE c.id = v.id"
)
INSERT_SQLITE = (
    "INSERT INTO customers (id, name, search_name, phone, email, tags, preferred_language, metadata, "
    "organisation_id, created_at, updated_at, total_calls, inbound_calls, outbound_calls) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0)"
)
UPDATE_SQLITE = (
    "UPDATE customers SET name = ?, search_name = ?, email = ?, tags = ?, preferred_language = ?, metadata = ?, "
    "updated_at = ? WHERE id = ?"
)
KNOWN_COLUMNS = "id, phone, email, tags, preferred_language, metadata"


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
    now = datetime.now(UTC)
    async with in_transaction():
        postgres = dialect() == "postgres"
        existing = await _known(organisation_id, [row.fields["phone"] for row in rows], postgres=postgres)
        inserts: list[tuple[Any, ...]] = []  # id, name, search_name, phone, email, tags, language, metadata
        updates: list[tuple[Any, ...]] = []  # id, name, search_name, email, tags, language, metadata
        new_tags: dict[str, list[str]] = {}
        changed_tags: dict[str, list[str]] = {}
        for row in rows:
            values = row.fields
            current = existing.get(values["phone"])
            if current is None:
                customer_id = new_id("cst")
                tags = values.get("tags", [])
                metadata = values.get("metadata", {})
                inserts.append(
                    (
                        customer_id,
                        values["name"],
                        values["search_name"],
                        values["phone"],
                        values.get("email"),
                        _JSON.to_db_value(tags, Customer),
                        values.get("preferred_language"),
                        _JSON.to_db_value(metadata, Customer),
                    )
                )
                if tags:
                    new_tags[customer_id] = tags
            elif mode == "append":
                result.errors.append(RowError(row.number, values["phone"], "a customer with this phone already exists"))
            else:
                final = {**current, **merged(current, values)}
                updates.append(
                    (
                        current["id"],
                        final["name"],
                        final["search_name"],
                        final["email"],
                        _JSON.to_db_value(final["tags"], Customer),
                        final["preferred_language"],
                        _JSON.to_db_value(final["metadata"], Customer),
                    )
                )
                if "tags" in values and values["tags"] != current["tags"]:
                    changed_tags[current["id"]] = values["tags"]
        if inserts:
            inserts.sort(key=lambda insert: insert[3])  # by phone: batches racing for phones wait, never deadlock
            await _insert(organisation_id, inserts, now, postgres=postgres)
        if updates:
            await _update(updates, now, postgres=postgres)
        await customer_tags.link(organisation_id, new_tags, replace=False)
        await customer_tags.link(organisation_id, changed_tags, replace=True)
    result.created, result.updated = len(inserts), len(updates)
    return result


async def _known(organisation_id: str, phones: list[str], *, postgres: bool) -> dict[str, dict[str, Any]]:
    """The stored customers with these phones, by phone; on PostgreSQL locked until the batch commits (in id
    order, so two batches sharing phones queue rather than deadlock), so a metadata merge cannot lose a
    concurrent change."""
    if postgres:
        found = await fetch(
            f"SELECT {KNOWN_COLUMNS} FROM customers WHERE organisation_id = ? "
            "AND phone = ANY(?::varchar[]) ORDER BY id FOR UPDATE",
            [organisation_id, phones],
        )
    else:
        found = []
        for start in range(0, len(phones), SQLITE_IN_CHUNK):
            chunk = phones[start : start + SQLITE_IN_CHUNK]
            found += await fetch(
                f"SELECT {KNOWN_COLUMNS} FROM customers WHERE organisation_id = ? "
                f"AND phone IN ({placeholders(len(chunk))})",
                [organisation_id, *chunk],
            )
    known = {}
    for record in found:
        record["tags"] = _JSON.to_python_value(record["tags"])
        record["metadata"] = _JSON.to_python_value(record["metadata"])
        known[record["phone"]] = record
    return known


async def _insert(organisation_id: str, rows: list[tuple[Any, ...]], now: datetime, *, postgres: bool) -> None:
    if postgres:
        await execute(INSERT_PG, [organisation_id, now, now, *(list(column) for column in zip(*rows, strict=True))])
    else:
        await execute_many(INSERT_SQLITE, [(*row, organisation_id, now, now) for row in rows])


async def _update(rows: list[tuple[Any, ...]], now: datetime, *, postgres: bool) -> None:
    if postgres:
        await execute(UPDATE_PG, [now, *(list(column) for column in zip(*rows, strict=True))])
    else:
        await execute_many(UPDATE_SQLITE, [(*row[1:], now, row[0]) for row in rows])


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
