"""Raw SQL for the few hot paths the ORM cannot express well (tag meta, counts, metrics histograms, customer
search pages and bulk writes).

Statements are written with `?` placeholders; PostgreSQL's `$n` style is produced here. They run on
`connections.get("default")`, which inside `in_transaction()` is the transaction's connection. Values are
always passed as parameters, never formatted into the SQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tortoise import connections


def dialect() -> str:
    """`sqlite` or `postgres`."""
    dialect: str = connections.get("default").capabilities.dialect
    return dialect


def _numbered(sql: str) -> str:
    counter = iter(range(1, 100_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


async def fetch(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    rows: list[dict[str, Any]] = await connection.execute_query_dict(sql, list(params))
    return rows


async def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run one write statement; the number of rows it changed."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    changed, _ = await connection.execute_query(sql, list(params))
    return int(changed)


async def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement once per parameter row, in one driver call (SQLite's executemany)."""
    if not rows:
        return
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    await connection.execute_many(sql, [list(row) for row in rows])
