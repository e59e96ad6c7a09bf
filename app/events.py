"""The event bus: publish a JSON-able event on a channel, subscribe to a channel's stream.

In-process by default. A subscription is registered when `subscribe` is entered, so nothing
published after that point is missed. Slow subscribers are bounded: when a subscriber's queue
is full, the oldest event is dropped for that subscriber alone and the drop is counted.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

Event = dict[str, Any]


class Subscription:
    def __init__(self, channel: str, maxsize: int) -> None:
        self.channel = channel
        self.dropped = 0
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)

    def deliver(self, event: Event) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)

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
