"""Rate limits with `limits`: moving windows per client IP, in memory or in Redis.

A limit belongs to an operation, not to a door: GraphQL fields and their REST twins hit the same
bucket because both execute the same field. The global per-IP budget is hit once per HTTP request.
"""

from __future__ import annotations

import math
import time
import uuid

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from app.errors import RateLimited

GLOBAL_SCOPE = "global"


class RateLimiter:
    def __init__(
        self, *, enabled: bool, redis_url: str | None, default_limit: str, key_prefix: str | None = None
    ) -> None:
        self.enabled = enabled
        self.default_limit = default_limit
        self._storage: Storage
        if redis_url:
            uri = redis_url.replace("redis://", "async+redis://", 1).replace("rediss://", "async+rediss://", 1)
            self._storage = RedisStorage(uri, implementation="redispy", key_prefix=key_prefix or "voiceai-rl")
        else:
            self._storage = MemoryStorage()
        self._strategy = MovingWindowRateLimiter(self._storage)
        self._items: dict[str, RateLimitItem] = {}
        # Keeps separately configured limiters (e.g. tests sharing one Redis) from sharing buckets.
        self._namespace = key_prefix or ""

    def _item(self, limit: str) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = parse(limit)
        return item

    async def hit(self, limit: str, scope: str, client: str) -> None:
        """Count one request of `client` against `limit` in `scope`; raise RateLimited when over."""
        if not self.enabled:
            return
        item = self._item(limit)
        if await self._strategy.hit(item, self._namespace, scope, client):
            return
        stats = await self._strategy.get_window_stats(item, self._namespace, scope, client)
        raise RateLimited(limit, max(1, math.ceil(stats.reset_time - time.time())))

    async def hit_global(self, client: str) -> None:
        await self.hit(self.default_limit, GLOBAL_SCOPE, client)

    async def reset(self) -> None:
        await self._storage.reset()

    async def aclose(self) -> None:
        close = getattr(self._storage, "close", None)
        if close is not None:
            result = close()
            if hasattr(result, "__await__"):
                await result


def unique_prefix() -> str:
    return f"voiceai-rl-{uuid.uuid4().hex[:8]}"
