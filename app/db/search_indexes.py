"""PostgreSQL-only speed-ups for customer search, run by migration 0002 (a no-op on SQLite).

Trigram GIN indexes let `LIKE '%term%'` on the casefolded name and on the phone use an index, so a
search stays fast at a million customers. SQLite scans, which is fine at its embedded scale.
"""

from __future__ import annotations

from typing import Any

STATEMENTS = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customers_search_name_trgm ON customers USING gin (search_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customers_phone_trgm ON customers USING gin (phone gin_trgm_ops)",
)
REVERSE = (
    "DROP INDEX IF EXISTS customers_phone_trgm",
    "DROP INDEX IF EXISTS customers_search_name_trgm",
)


async def _run(schema_editor: Any, statements: tuple[str, ...]) -> None:
    if schema_editor.client.capabilities.dialect != "postgres":
        return
    for statement in statements:
        await schema_editor.client.execute_script(statement)


async def add_search_indexes(apps: Any, schema_editor: Any) -> None:
    await _run(schema_editor, STATEMENTS)


async def drop_search_indexes(apps: Any, schema_editor: Any) -> None:
    await _run(schema_editor, REVERSE)
