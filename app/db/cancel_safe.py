"""Tortoise's transaction entry made safe against cancellation (the server-wide wedge of issue 13).

Tortoise 1.1 enters `in_transaction()` by taking the SQLite connection's lock (or a pooled PostgreSQL
connection) and then awaiting BEGIN. A task cancelled during that await never reaches `__aexit__`, so the
lock is never released (SQLite: every later query of the process waits forever, `/healthz` included) or the
connection never goes back to the pool (PostgreSQL: the pool drains a connection at a time). A call's
teardown cancels its session's tasks, and under load one of them is often waiting inside a transcript write:
that is how the first call to end could freeze 200. `install()` replaces both entries with ones that undo
what they took when BEGIN fails or is cancelled; the undo is shielded so a second cancel cannot skip it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from tortoise.backends.base.client import TransactionContextPooled
from tortoise.backends.sqlite.client import SqliteTransactionContext
from tortoise.connection import get_connections

_undoing: set[asyncio.Task[None]] = set()  # undo tasks still running after their caller was cancelled


async def _undo(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to the end even if the caller is cancelled again while waiting for it."""
    task = asyncio.ensure_future(work)
    _undoing.add(task)
    task.add_done_callback(_undoing.discard)
    await asyncio.shield(task)


async def _sqlite_release(context: SqliteTransactionContext) -> None:
    try:
        raw = context.connection._connection
        if raw is not None:  # aiosqlite runs this after the BEGIN already queued; no-op when none ran
            await raw.rollback()
    finally:
        context._trxlock.release()


async def _sqlite_enter(self: SqliteTransactionContext) -> Any:
    await self._trxlock.acquire()  # a cancel while waiting here takes nothing (asyncio.Lock handles it)
    token = None
    try:
        await self.ensure_connection()
        token = self.token = get_connections().set(self.connection_name, self.connection)
        await self.connection.begin()
    except BaseException:
        if token is not None:
            get_connections().reset(token)
        await _undo(_sqlite_release(self))
        raise
    return self.connection


async def _pooled_enter(self: TransactionContextPooled) -> Any:
    await self.ensure_connection()
    pool = self.client._parent._pool
    self.client._connection = await pool.acquire()
    token = self.token = get_connections().set(self.connection_name, self.client)
    try:
        await self.client.begin()
    except BaseException:
        get_connections().reset(token)
        await _undo(pool.release(self.client._connection))  # the pool resets (rolls back) the connection
        raise
    return self.client


def install() -> None:
    """Idempotent; called when the database is opened."""
    SqliteTransactionContext.__aenter__ = _sqlite_enter  # type: ignore[method-assign]
    TransactionContextPooled.__aenter__ = _pooled_enter  # type: ignore[method-assign]
