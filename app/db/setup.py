"""Opening the database and bringing its schema up to date with the built-in Tortoise migrations."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

MODELS_MODULE = "app.db.models"
MIGRATIONS_MODULE = "app.db.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": database_url},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(database_url: str) -> None:
    """Apply every pending migration; safe to run on each start-up."""
    await run_migrations(config=tortoise_config(database_url))


async def open_database(database_url: str, *, create_db: bool = False) -> None:
    """Connect, migrate, and make the connection visible to every task of the process."""
    await Tortoise.init(
        config=tortoise_config(database_url), _create_db=create_db, _enable_global_fallback=True
    )
    await run_migrations(config=tortoise_config(database_url))


async def close_database() -> None:
    await Tortoise.close_connections()
