"""This process as an instance: its identity, the heartbeat that keeps its lease, and the sweep that ends the
calls of instances whose lease lapsed. Owned by the platform, started and stopped by the app lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import timedelta

from app.instances.leases import Holder, LeaseStore
from app.instances.orphans import OrphanSweeper
from app.utc import utc_now

log = logging.getLogger("app.instances")
PRUNE_AFTER = timedelta(hours=1)  # lease rows lapsed this long ago, their calls long swept, are deleted


def new_instance_id() -> str:
    """Fresh on every start, so a restarted process sweeps the calls its previous life left behind."""
    return f"ins_{secrets.token_hex(6)}"


class InstanceLeaseKeeper:
    def __init__(self, store: LeaseStore, *, ttl_seconds: float, instance_id: str | None = None) -> None:
        self.holder = Holder(
            instance_id=instance_id or new_instance_id(),
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=utc_now(),
        )
        self.store = store
        self.ttl_seconds = ttl_seconds
        self.sweeper: OrphanSweeper | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def instance_id(self) -> str:
        return self.holder.instance_id

    @property
    def interval(self) -> float:
        """Renew and sweep three times per lease: one missed renewal never lapses it, and an orphan waits at
        most about a lease and a third."""
        return max(0.2, self.ttl_seconds / 3)

    async def start(self) -> None:
        """The lease is taken before the first call can be owned; only then do the loops start."""
        if self._tasks:
            return
        await self.store.renew(self.holder, self.ttl_seconds)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._heartbeat(), name="instance-heartbeat")]
        if self.sweeper is not None:
            self._tasks.append(loop.create_task(self._sweep(), name="instance-orphan-sweep"))
        log.info("instance %s holds its lease (%s s)", self.instance_id, self.ttl_seconds)

    async def aclose(self) -> None:
        """Graceful stop: the lease is released, so other instances sweep what is left at their next run."""
        started = bool(self._tasks)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if started:
            with contextlib.suppress(Exception):
                await self.store.release(self.holder)
        await self.store.aclose()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.store.renew(self.holder, self.ttl_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("renewing the lease of %s failed (next try in %.1f s)", self.instance_id, self.interval)

    async def _sweep(self) -> None:
        assert self.sweeper is not None
        while True:
            try:
                await self.sweeper.run()
                await self.store.prune(PRUNE_AFTER)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sweeping orphaned calls failed")
            await asyncio.sleep(self.interval)
