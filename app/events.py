"""The event bus: publish a JSON-able event on a channel, subscribe to a channel's stream.

In-process by default, Redis pub/sub (`RedisEventBus`) when a Redis URL is configured. A subscription is registered
when `subscribe` is entered, so nothing
published after that point is missed. Slow subscribers are bounded: when a subscriber's queue
is full, the oldest event is dropped for that subscriber alone. A drop is never silent: it is counted,
logged once per overflow, and `take_dropped()` tells the reader how many it missed since it last asked,
so it can recover them (the call fan-out re-reads the replay buffer) or cut its own clients off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

Event = dict[str, Any]
logger = logging.getLogger(__name__)


class Subscription:
    def __init__(self, channel: str, maxsize: int) -> None:
        self.channel = channel
        self.dropped = 0  # over the subscription's life
        self._unreported = 0  # dropped since the reader last called take_dropped()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)

    @property
    def overflowed(self) -> bool:
        """Events were dropped that the reader has not yet been told of."""
        return self._unreported > 0

    def take_dropped(self) -> int:
        """How many events were dropped since the last call (0 if none): the gap the reader must close."""
        dropped, self._unreported = self._unreported, 0
        return dropped

    def deliver(self, event: Event) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            self._unreported += 1
            if self._unreported == 1:
                logger.warning(
                    "bus subscription to %s overflowed (%d queued): dropping its oldest events",
                    self.channel,
                    self._queue.maxsize,
                )
        self._queue.put_nowait(event)

    def interrupted(self) -> None:
        """The bus lost its connection: events published meanwhile are gone, how many is unknown (counted
        as one), and the reader closes the gap the same way as after an overflow."""
        self.dropped += 1
        self._unreported += 1

    async def get(self) -> Event:
        return await self._queue.get()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self._queue.get()


class EventBus:
    def __init__(self, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)

    async def publish(self, channel: str, event: Event) -> None:
        for subscription in tuple(self._subscribers.get(channel, ())):
            subscription.deliver(event)

    def subscribers(self, channel: str) -> int:
        """Subscriptions to the channel held in this process."""
        return len(self._subscribers.get(channel, ()))

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(channel, self._queue_size)
        self._subscribers[channel].add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[channel]

    async def aclose(self) -> None:
        self._subscribers.clear()


class RedisEventBus(EventBus):
    """The same bus over Redis pub/sub, so every instance sees every event.

    One pub/sub connection per process carries all channels; local subscribers of a channel share
    its Redis subscription. `subscribe` returns only once Redis has confirmed the channel, which
    keeps the promise that nothing published after entering it is missed.
    """

    def __init__(self, url: str, queue_size: int = 1000, prefix: str = "voiceai:bus:") -> None:
        super().__init__(queue_size)
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._pubsub = self._redis.pubsub()
        self._prefix = prefix
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        self._channel_locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._reader: asyncio.Task[None] | None = None
        self._started = asyncio.Lock()

    @property
    def redis(self) -> Redis:
        return self._redis

    def key(self, channel: str) -> str:
        return self._prefix + channel

    async def publish(self, channel: str, event: Event) -> None:
        await self._redis.publish(self.key(channel), json.dumps(event, separators=(",", ":")))

    async def _ensure_reader(self) -> None:
        async with self._started:
            if self._reader is None:
                await self._pubsub.subscribe(self._prefix + "__keepalive__")
                self._reader = asyncio.create_task(self._read(), name="redis-bus-reader")

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        await self._ensure_reader()
        subscription = Subscription(channel, self._queue_size)
        async with self._channel_locks[channel]:
            first = not self._subscribers.get(channel)
            self._subscribers[channel].add(subscription)
            if first:
                confirmed = asyncio.get_running_loop().create_future()
                self._confirmed[self.key(channel)] = confirmed
                await self._pubsub.subscribe(self.key(channel))
                await asyncio.wait_for(confirmed, 10)
        try:
            yield subscription
        finally:
            async with self._channel_locks[channel]:
                subscribers = self._subscribers.get(channel)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._subscribers[channel]
                        await self._pubsub.unsubscribe(self.key(channel))

    async def _read(self) -> None:
        prefix = len(self._prefix)
        connected = True
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # connection dropped: redis-py reconnects and resubscribes on the next read
                if connected:
                    connected = False
                    logger.warning("Redis bus connection lost: marking every subscription interrupted")
                    for subscriptions in tuple(self._subscribers.values()):
                        for subscription in tuple(subscriptions):
                            subscription.interrupted()
                await asyncio.sleep(0.2)
                continue
            connected = True
            if message is None:
                continue
            name = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            if message["type"] == "subscribe":
                future = self._confirmed.pop(name, None)
                if future is not None and not future.done():
                    future.set_result(None)
            elif message["type"] == "message":
                event = json.loads(message["data"])
                for subscription in tuple(self._subscribers.get(name[prefix:], ())):
                    subscription.deliver(event)

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        await self._redis.aclose()
        await super().aclose()


def build_bus(redis_url: str | None) -> EventBus:
    """In-process without Redis; Redis pub/sub when a URL is configured."""
    return RedisEventBus(redis_url) if redis_url else EventBus()
