"""Raw SQL for the few hot paths the ORM cannot express well (tag meta, counts, metrics histograms).

Statements are written with `?` placeholders; PostgreSQL's `$n` style is produced here.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from tortoise import connections


def dialect() -> str:
    """`sqlite` or `postgres`."""
    return connections.get("default").capabilities.dialect


def _numbered(sql: str) -> str:
    counter = iter(range(1, 100_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


async def fetch(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        sql = _numbered(sql)
    return await connection.execute_query_dict(sql, list(params))
