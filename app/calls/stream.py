"""Following one call's events: the replay buffer first, then live events, without gap or duplicate.

A `CallFollower` is one subscriber's view. Events reach it as `CallEventItem`s that every follower of
the call in this process shares (see `app.calls.fanout`), so work that depends only on the event, such
as its JSON text, is done once per event however many follow it. A follower that falls more than
`max_lag` events behind is cut off (`FollowerTooSlow`) instead of buffering without bound; a client
that reconnects resumes from the replay buffer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Hashable, Iterable

from app.calls.channels import call_events
from app.errors import Unavailable
from app.events import Event, EventBus

if TYPE_CHECKING:
    from app.calls.live import CallEventLog

DEFAULT_MAX_LAG = 256


class FollowerTooSlow(Unavailable):
    def __init__(self) -> None:
        super().__init__("Subscriber fell too far behind the live events; reconnect to resume from the replay")


class CallEventItem:
    """One call event as shared by its followers, with encodings memoised per key."""

    __slots__ = ("event", "seq", "_encoded")

    def __init__(self, event: Event) -> None:
        self.event = event
        self.seq: int = event["seq"]
        self._encoded: dict[Hashable, Any] = {}

    @property
    def is_end(self) -> bool:
        return self.event["type"] == "end"

    @property
    def encodings(self) -> int:
        """How many distinct encodings of the event have been made (one per key, whoever asked)."""
        return len(self._encoded)

    def encoded(self, key: Hashable, encode: Callable[[Event], Any]) -> Any:
        """`encode(event)`, computed by the first follower that asks with this key and reused by the rest.
        The key must name everything besides the event that the encoding depends on."""
        try:
            return self._encoded[key]
        except KeyError:
            value = self._encoded[key] = encode(self.event)
            return value


class CallFollower:
    """Replay, then the live items delivered since joining, skipping those the replay covered.

    `deliver` never blocks: the publisher's side hands items over synchronously, the follower's own
    task sends them at its client's pace.
    """

    def __init__(self, max_lag: int = DEFAULT_MAX_LAG) -> None:
        self.max_lag = max_lag
        self.cut_off = False
        self._replay: deque[CallEventItem] = deque()
        self._pending: deque[CallEventItem] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._last = 0
        self._ended = False

    def replay(self, items: Iterable[CallEventItem]) -> None:
        """The replay buffer read after joining: served first, and live items it covers are skipped."""
        self._replay = deque(items)

    @property
    def lag(self) -> int:
        return len(self._pending)

    def deliver(self, item: CallEventItem) -> bool:
        """Queue a live item; False once the follower is cut off (it then holds nothing)."""
        if self.cut_off:
            return False
        if len(self._pending) >= self.max_lag:
            self.cut_off = True
            self._pending.clear()
        else:
            self._pending.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return not self.cut_off

    def __aiter__(self) -> "CallFollower":
        return self

    async def __anext__(self) -> CallEventItem:
        """A plain method rather than an async generator: one frame less to resume per event and follower."""
        while not self._ended:
            if self._replay:
                item = self._replay.popleft()
            else:
                while not self._pending:
                    if self.cut_off:
                        raise FollowerTooSlow()
                    self._waiter = asyncio.get_running_loop().create_future()
                    try:
                        await self._waiter
                    finally:
                        self._waiter = None
                item = self._pending.popleft()  # a cut-off follower holds nothing, so it never gets here
            if item.seq <= self._last:
                continue
            self._last = item.seq
            self._ended = item.is_end
            return item
        raise StopAsyncIteration


async def follow_call(bus: EventBus, log: "CallEventLog", call_id: str) -> AsyncIterator[Event]:
    """One subscriber's own bus subscription, replay then live, sharing nothing with other subscribers
    (the path before `CallFanout`, kept so a benchmark can compare both in one run).

    Subscribe before reading the buffer, so anything not replayed arrives live; live events already
    replayed are recognised by their sequence number. Ends after the `end` event."""
    async with bus.subscribe(call_events(call_id)) as live:
        last = 0
        for event in await log.replay(call_id):
            last = event["seq"]
            yield event
            if event["type"] == "end":
                return
        async for event in live:
            if event["seq"] <= last:
                continue
            last = event["seq"]
            yield event
            if event["type"] == "end":
                return
