"""Where leases live: a heartbeat row in the database, or a key with a TTL in Redis when Redis is configured.

A lease is alive while its expiry lies ahead. The database store compares expiries with this process's clock
(keep hosts in NTP sync); the Redis store lets Redis expire the key, so no clock is compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from app.db.models import InstanceLease
from app.utc import utc_now

REDIS_PREFIX = "voiceai:lease:"


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: the instance id written on its calls, and where it runs (for people reading)."""

    instance_id: str
    host: str
    pid: int
    started_at: datetime


class LeaseStore(Protocol):
    async def renew(self, holder: Holder, ttl_seconds: float) -> None:
        """Take or extend the lease for another `ttl_seconds`."""

    async def release(self, holder: Holder) -> None:
        """Give the lease up at once (graceful shutdown): its calls become orphans for the next sweep."""

    async def alive(self, instance_ids: Iterable[str]) -> set[str]:
        """The ids among these whose lease has not lapsed."""

    async def prune(self, older_than: timedelta) -> int:
        """Forget leases lapsed this long ago; answers how many."""

    async def aclose(self) -> None: ...


class DatabaseLeaseStore:
    """Works on SQLite and PostgreSQL alike: one row per process, its expiry pushed forward on each renewal."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock

    async def renew(self, holder: Holder, ttl_seconds: float) -> None:
        now = self._clock()
        expires = now + timedelta(seconds=ttl_seconds)
        if not await InstanceLease.filter(id=holder.instance_id).update(renewed_at=now, expires_at=expires):
            await InstanceLease.create(
                id=holder.instance_id,
                host=holder.host[:255],
                pid=holder.pid,
                started_at=holder.started_at,
                renewed_at=now,
                expires_at=expires,
            )

    async def release(self, holder: Holder) -> None:
        await InstanceLease.filter(id=holder.instance_id).delete()

    async def alive(self, instance_ids: Iterable[str]) -> set[str]:
        ids = list(instance_ids)
        if not ids:
            return set()
        leases = InstanceLease.filter(id__in=ids, expires_at__gt=self._clock())
        alive: list[str] = await leases.values_list("id", flat=True)  # type: ignore[assignment]  # flat rows typed as tuples
        return set(alive)

    async def prune(self, older_than: timedelta) -> int:
        return await InstanceLease.filter(expires_at__lt=self._clock() - older_than).delete()

    async def aclose(self) -> None:
        return None


class RedisLeaseStore:
    """One key per process with a millisecond TTL; Redis forgets lapsed leases by itself."""

    def __init__(self, url: str, prefix: str = REDIS_PREFIX) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._prefix = prefix

    def key(self, instance_id: str) -> str:
        return self._prefix + instance_id

    async def renew(self, holder: Holder, ttl_seconds: float) -> None:
        value = json.dumps({"host": holder.host, "pid": holder.pid, "started_at": holder.started_at.isoformat()})
        await self._redis.set(self.key(holder.instance_id), value, px=max(1, int(ttl_seconds * 1000)))

    async def release(self, holder: Holder) -> None:
        await self._redis.delete(self.key(holder.instance_id))

    async def alive(self, instance_ids: Iterable[str]) -> set[str]:
        ids = list(instance_ids)
        if not ids:
            return set()
        values = await self._redis.mget([self.key(instance_id) for instance_id in ids])
        return {instance_id for instance_id, value in zip(ids, values, strict=True) if value is not None}

    async def prune(self, older_than: timedelta) -> int:
        return 0

    async def aclose(self) -> None:
        await self._redis.aclose()


def build_lease_store(redis_url: str | None) -> LeaseStore:
    """Redis when configured (the bus already depends on it), else the database."""
    return RedisLeaseStore(redis_url) if redis_url else DatabaseLeaseStore()
