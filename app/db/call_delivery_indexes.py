"""Indexes that find one call's webhook deliveries (the console's call page), run by migration 0007.

Deliveries name their call only inside the event payload (`data.call_uuid`), so the index is on that
expression, written exactly as `app.webhooks.call_deliveries` queries it for each dialect; attempts are
found by their delivery id. Without them the page scans the whole outbox and attempt log.
"""

from __future__ import annotations

from typing import Any

CALL_UUID = {
    "postgres": "(payload->'data'->>'call_uuid')",
    "sqlite": "json_extract(payload, '$.data.call_uuid')",
}
REVERSE = (
    "DROP INDEX IF EXISTS webhook_logs_delivery_id",
    "DROP INDEX IF EXISTS webhook_deliveries_call_uuid",
)


def statements(dialect: str) -> tuple[str, ...]:
    return (
        f"CREATE INDEX IF NOT EXISTS webhook_deliveries_call_uuid ON webhook_deliveries ({CALL_UUID[dialect]})",
        "CREATE INDEX IF NOT EXISTS webhook_logs_delivery_id ON webhook_logs (delivery_id)",
    )


async def add_call_delivery_indexes(apps: Any, schema_editor: Any) -> None:
    for statement in statements(schema_editor.client.capabilities.dialect):
        await schema_editor.client.execute_script(statement)


async def drop_call_delivery_indexes(apps: Any, schema_editor: Any) -> None:
    for statement in REVERSE:
        await schema_editor.client.execute_script(statement)
