"""Opening the database and bringing its schema up to date with the built-in Tortoise migrations."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.executor import MigrationExecutor

from app.db import cancel_safe

MODELS_MODULE = "app.db.models"
MIGRATIONS_MODULE = "app.db.migrations"

# Every SQLite connection: wait for a writer instead of failing at once (busy_timeout, set first so the
# journal switch itself waits), WAL so readers never block the writer, NORMAL sync (durable across a process
# crash under WAL, one fsync per checkpoint instead of per commit), and foreign keys enforced.
# A `?pragma=value` in the database URL overrides any of these.
SQLITE_PRAGMAS: dict[str, Any] = {
    "busy_timeout": 5000,
    "journal_mode": "WAL",
    "synchronous": "FULL",  # every commit survives a power loss; NORMAL measured no faster (performance.md)
    "foreign_keys": "ON",
}


def connection_config(database_url: str) -> str | dict[str, Any]:
    """The URL as is, except SQLite: its credentials carry `SQLITE_PRAGMAS`, which Tortoise runs on connect."""
    if not database_url.startswith("sqlite:"):
        return database_url
    expanded = expand_db_url(database_url)
    credentials = expanded["credentials"]
    given = {key: value for key, value in credentials.items() if key in SQLITE_PRAGMAS}
    ordered = {**SQLITE_PRAGMAS, **given}
    rest = {key: value for key, value in credentials.items() if key not in SQLITE_PRAGMAS}
    return {"engine": expanded["engine"], "credentials": {**ordered, **rest}}


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url)},
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
    await open_database(database_url)
    await close_database()


async def open_database(database_url: str, *, create_db: bool = False) -> None:
    """Connect, migrate, and make the connection visible to every task of the process.

    Model docstrings become table comments: keep semicolons out of them (Tortoise's SQLite
    schema editor splits statements on them).
    """
    config = tortoise_config(database_url)
    cancel_safe.install()  # a task cancelled while entering a transaction must not wedge the database
    await Tortoise.init(config=config, _create_db=create_db, _enable_global_fallback=True)
    try:
        await MigrationExecutor(connections.get("default"), config["apps"]).migrate()
    except BaseException:
        await close_database()
        raise


async def close_database() -> None:
    await Tortoise.close_connections()


# For `voiceai makemigrations`: the autodetector compares models with migration files, not a database.
MIGRATIONS_CONFIG = tortoise_config("sqlite://:memory:")
