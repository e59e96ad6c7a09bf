"""Every SQLite connection the platform opens runs in WAL mode, waits for a busy writer, syncs every commit
to disk (FULL) and enforces foreign keys; a `?pragma=value` in the database URL overrides a default."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from app.db.setup import SQLITE_PRAGMAS

OPEN_AND_ASK = """
import asyncio, json, sys
from tortoise import connections
from app.db.setup import close_database, open_database

async def main():
    await open_database(sys.argv[1])
    connection = connections.get("default")
    answers = {}
    for pragma in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys"):
        rows = await connection.execute_query_dict(f"PRAGMA {pragma}")
        answers[pragma] = list(rows[0].values())[0]
    await close_database()
    print(json.dumps(answers))

asyncio.run(main())
"""


async def pragmas_of(url: str) -> dict:
    """Opened by `open_database` in its own process, so the suite's connection is left alone."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        OPEN_AND_ASK,
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_a_database_opened_by_the_platform_uses_wal_busy_timeout_full_sync_and_foreign_keys(tmp_path):
    answers = await pragmas_of(f"sqlite://{tmp_path}/voiceai.db")

    assert answers["journal_mode"] == "wal"
    assert answers["busy_timeout"] == SQLITE_PRAGMAS["busy_timeout"] == 5000
    assert answers["synchronous"] == 2  # FULL
    assert answers["foreign_keys"] == 1


async def test_a_pragma_in_the_url_overrides_the_default(tmp_path):
    answers = await pragmas_of(f"sqlite://{tmp_path}/voiceai.db?busy_timeout=250&synchronous=NORMAL")

    assert answers["busy_timeout"] == 250
    assert answers["synchronous"] == 1  # NORMAL
    assert answers["journal_mode"] == "wal"
