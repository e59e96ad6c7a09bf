"""The migration files describe the models exactly, so `voiceai migrate` builds the schema the code expects."""

from __future__ import annotations

import asyncio
import sys

PENDING_CHANGES = """
import asyncio
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from app.db.setup import MIGRATIONS_CONFIG

async def main():
    apps = MIGRATIONS_CONFIG["apps"]
    async with tortoise_cli_context(MIGRATIONS_CONFIG) as ctx:
        writers = await MigrationAutodetector(ctx.apps, apps).changes()
    print(len(writers), [op for w in writers for op in getattr(w, "operations", [])])

asyncio.run(main())
"""


async def test_models_and_migrations_agree():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PENDING_CHANGES, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert out.decode().startswith("0 "), f"models changed without a migration (run voiceai makemigrations): {out!r}"
