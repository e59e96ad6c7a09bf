"""Following one call's events: the replay buffer first, then live events, without gap or duplicate.

A `CallFollower` is one subscriber's view. Events reach it as `CallEventItem`s that every follower of
the call in this process shares (see `app.calls.fanout`), so work that depends only on the event, such
as its JSON text, is done once per event however many follow it. A follower that falls more than
`max_lag` events behind is cut off (`FollowerTooSlow`) instead of buffering without bound; a client
that reconnects resumes from the replay buffer. When the bus itself drops events (a subscription
overflowed), the gap is filled from the replay buffer; a follower whose gap the buffer no longer covers
is cut off the same way (`EventsLost`), never left with a silent hole.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any

from app.calls.channels import call_events
from app.errors import Unavailable
from app.events import Event, EventBus

if TYPE_CHECKING:
    from app.calls.live import CallEventLog

DEFAULT_MAX_LAG = 256


class FollowerTooSlow(Unavailable):
    def __init__(
        self, detail: str = "Subscriber fell too far behind the live events; reconnect to resume from the replay"
    ) -> None:
        super().__init__(detail)


class EventsLost(FollowerTooSlow):
    """The bus dropped events the replay buffer no longer holds: the same remedy as for a slow follower
    (1013 on the live socket, UNAVAILABLE in GraphQL), so clients reconnect and resume from the replay."""

    def __init__(self) -> None:
        super().__init__("Live events were lost in transit; reconnect to resume from the replay")


class CallEventItem:
    """One call event as shared by its followers, with encodings memoised per key."""

    __slots__ = ("_encoded", "event", "seq")

    def __init__(self, event: Event) -> None:
        self.event = event
        self.seq: int = event["seq"]
        self._encoded: dict[Hashable, Any] = {}

    @property
    def is_end(self) -> bool:
        kind: str = self.event["type"]
        return kind == "end"

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
        self.joined = False  # its replay has been read
        self._error: FollowerTooSlow | None = None  # why it was cut off
        self._replay: deque[CallEventItem] = deque()
        self._pending: deque[CallEventItem] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._newest = 0  # the highest seq it holds or has served
        self._last = 0
        self._ended = False

    def replay(self, items: Iterable[CallEventItem]) -> None:
        """The replay buffer read after joining: served first, and live items it covers are skipped.
        Live items already queued must follow on from it; if the bus lost the events between, cut off."""
        self._replay = deque(items)
        self.joined = True
        if self._replay:
            newest = self._replay[-1].seq
            if self._pending and self._pending[0].seq > newest + 1:
                self.cut(EventsLost())
            self._newest = max(self._newest, newest)

    @property
    def newest(self) -> int:
        """The highest sequence number it holds or has served: it needs every event after this one."""
        return self._newest

    @property
    def lag(self) -> int:
        return len(self._pending)

    def deliver(self, item: CallEventItem) -> bool:
        """Queue a live item, unless it already holds it (items arrive in seq order, re-synchronised ones
        included, so a lower seq is one it has); False once the follower is cut off (it then holds nothing)."""
        if self.cut_off:
            return False
        if item.seq <= self._newest:
            return True
        if len(self._pending) >= self.max_lag:
            self.cut(FollowerTooSlow())
            return False
        self._pending.append(item)
        self._newest = item.seq
        waiter = self._waiter  # inline rather than _wake(): this runs per follower and event
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    def cut(self, error: FollowerTooSlow) -> None:
        """Stop following: its live items are discarded and, after any replay it holds, its reader gets
        `error` (its client reconnects and resumes from the replay)."""
        if self.cut_off:
            return
        self.cut_off = True
        self._error = error
        self._pending.clear()  # the replay it already holds is still served: it has no gap
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> CallFollower:
        return self

    async def __anext__(self) -> CallEventItem:
        """A plain method rather than an async generator: one frame less to resume per event and follower."""
        while not self._ended:
            if self._replay:
                item = self._replay.popleft()
            else:
                while not self._pending:
                    if self.cut_off:
                        raise self._error or FollowerTooSlow()
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


async def follow_call(bus: EventBus, log: CallEventLog, call_id: str) -> AsyncGenerator[Event, None]:
    """One subscriber's own bus subscription, replay then live, sharing nothing with other subscribers
    (the path before `CallFanout`, kept so a benchmark can compare both in one run).

    Subscribe before reading the buffer, so anything not replayed arrives live; live events already
    replayed are recognised by their sequence number. If the subscription overflowed, the events it
    dropped are read back from the buffer (`EventsLost` if it no longer holds them). Ends after `end`."""
    async with bus.subscribe(call_events(call_id)) as live:
        last = 0
        for event in await log.replay(call_id):
            last = event["seq"]
            yield event
            if event["type"] == "end":
                return
        async for event in live:
            if live.take_dropped():
                replayed = await log.replay(call_id)
                if not replayed or replayed[0]["seq"] > last + 1:
                    raise EventsLost()
                for missed in replayed:
                    if missed["seq"] > last:
                        last = missed["seq"]
                        yield missed
                        if missed["type"] == "end":
                            return
            if event["seq"] <= last:
                continue
            last = event["seq"]
            yield event
            if event["type"] == "end":
                return
