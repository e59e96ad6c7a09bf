"""The fan-out hub: one bus subscription per call per process, shared by every local follower of the call.

Without it each subscriber held its own bus subscription and encoded each event itself, so 500
subscribers of one call cost 500 queues, 500 Redis deliveries and 500 encodings per event. The hub
reads the call's channel once, wraps each event once (`CallEventItem`, whose encodings are memoised)
and hands that item to every follower's bounded queue. The bus subscription opens with the first
follower and closes when the last one leaves.

Joining keeps the no-gap promise: the follower is registered with a hub whose bus subscription is
confirmed before the replay buffer is read, so every event is either in the replay or delivered live
(duplicates are dropped by sequence number in `CallFollower`).

If the shared subscription overflows (the bus dropped events for every follower at once), the hub
re-reads the replay buffer and hands each follower the events it is missing before the next live one;
a follower whose gap the buffer no longer covers is cut off with `EventsLost` (1013 / UNAVAILABLE, as
for a slow follower) so its client reconnects and replays. Each overflow is logged with its counts and
reported to `on_overflow` (the platform's metrics).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.calls.channels import call_events
from app.calls.stream import DEFAULT_MAX_LAG, CallEventItem, CallFollower, EventsLost, follow_call
from app.events import Event, EventBus, Subscription

if TYPE_CHECKING:
    from app.calls.live import CallEventLog

RECENT_ITEMS = 200  # as many as a replay holds, so late joiners share the items (and encodings) of live ones
GAP_CHECK_SECONDS = 1.0  # how soon a quiet call closes a gap its bus subscription reported
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Overflow:
    """One overflow of a call's shared subscription and how its followers recovered."""

    call_id: str
    dropped: int  # events the bus dropped
    resynced: int  # followers whose gap the replay buffer filled
    cut_off: int  # followers it could not cover, cut off with EventsLost


class _CallHub:
    """The shared subscription of one call: a reader task that hands each event to every follower."""

    def __init__(
        self, bus: EventBus, log: CallEventLog, call_id: str, on_overflow: Callable[[Overflow], None] | None
    ) -> None:
        self.followers: dict[CallFollower, None] = {}  # insertion order: the first to join is served first
        self._recent: dict[int, CallEventItem] = {}
        self._log = log
        self._call_id = call_id
        self._on_overflow = on_overflow
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._read(bus, call_id), name=f"call-fanout:{call_id}")

    def item(self, event: Event) -> CallEventItem:
        """The one shared item for this event (replayed or live), kept for the last RECENT_ITEMS events."""
        seq = event["seq"]
        found = self._recent.get(seq)
        if found is None:
            found = self._recent[seq] = CallEventItem(event)
            if len(self._recent) > RECENT_ITEMS:
                del self._recent[next(iter(self._recent))]
        return found

    async def _read(self, bus: EventBus, call_id: str) -> None:
        try:
            async with bus.subscribe(call_events(call_id)) as live:
                self.ready.set_result(None)
                while True:
                    event = await self._next_event(live)
                    if live.overflowed:
                        await self._resync(live)
                    self._deliver(self.item(event))
        except BaseException as error:
            if not self.ready.done():
                if isinstance(error, asyncio.CancelledError):
                    self.ready.cancel()
                else:
                    self.ready.set_exception(error)
            raise

    async def _next_event(self, live: Subscription) -> Event:
        """The next live event. A gap the bus reported while the call was quiet (a Redis reconnect) is closed
        within GAP_CHECK_SECONDS, not only when the call's next event happens to come; while the replay
        cannot be read (Redis still away) the gap stays marked and nobody is cut off for it."""
        while True:
            try:
                async with asyncio.timeout(GAP_CHECK_SECONDS):
                    return await live.get()
            except TimeoutError:
                if live.overflowed and await self._replay_readable():
                    await self._resync(live)

    async def _replay_readable(self) -> bool:
        try:
            await self._log.replay(self._call_id)
        except Exception:
            return False
        return True

    def _deliver(self, item: CallEventItem) -> None:
        for follower in tuple(self.followers):
            if not follower.deliver(item):  # cut off: it holds nothing more
                self.followers.pop(follower, None)

    async def _resync(self, live: Subscription) -> None:
        """Close the gap an overflow left: every follower gets the replayed events it lacks, in order,
        before the next live one; those the replay no longer covers are cut off. Drops that happen while
        the replay is read are noticed at the next event and close the same way."""
        dropped = live.take_dropped()
        try:
            replayed = [self.item(event) for event in await self._log.replay(self._call_id)]
        except Exception:  # the buffer cannot be read (Redis away): nobody can be re-synchronised
            logger.exception("call %s: the replay buffer could not be read to close an overflow", self._call_id)
            replayed = []
        first = replayed[0].seq if replayed else None
        resynced = cut_off = 0
        for follower in tuple(self.followers):
            if not follower.joined:  # still reading its own replay; CallFollower.replay checks it meets these
                continue
            if first is None or follower.newest + 1 < first:
                follower.cut(EventsLost())
                self.followers.pop(follower, None)
                cut_off += 1
            else:
                resynced += 1
        for item in replayed:
            self._deliver(item)  # each follower skips what it already holds
        logger.warning(
            "call %s: its bus subscription dropped %d events; %d followers re-synchronised from "
            "the replay (%d events), %d cut off",
            self._call_id,
            dropped,
            resynced,
            len(replayed),
            cut_off,
        )
        if self._on_overflow is not None:
            self._on_overflow(Overflow(self._call_id, dropped, resynced, cut_off))

    async def aclose(self) -> None:
        self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task
        if self.ready.done() and not self.ready.cancelled():
            self.ready.exception()  # retrieved, so a failed subscription is not reported twice


class CallFanout:
    """`follow(call_id)` gives a `CallFollower` of the call: replay, then live, until the `end` event.

    `shared=False` gives each follower its own bus subscription and its own items instead (the path
    before the hub), for benchmarks that compare the two.
    """

    def __init__(
        self,
        bus: EventBus,
        log: CallEventLog,
        *,
        max_lag: int = DEFAULT_MAX_LAG,
        shared: bool = True,
        on_overflow: Callable[[Overflow], None] | None = None,
    ) -> None:
        self._bus = bus
        self._log = log
        self.max_lag = max_lag
        self.shared = shared
        self.on_overflow = on_overflow
        self._hubs: dict[str, _CallHub] = {}

    def followers(self, call_id: str) -> int:
        """Followers of the call in this process (0 once the last has left and the hub has closed)."""
        hub = self._hubs.get(call_id)
        return len(hub.followers) if hub is not None else 0

    @asynccontextmanager
    async def follow(self, call_id: str) -> AsyncIterator[AsyncIterator[CallEventItem]]:
        if not self.shared:
            items = _items_of(follow_call(self._bus, self._log, call_id))
            async with contextlib.aclosing(items):
                yield items
            return
        hub = self._hubs.get(call_id)
        if hub is None:
            hub = self._hubs[call_id] = _CallHub(self._bus, self._log, call_id, self.on_overflow)
        follower = CallFollower(self.max_lag)
        hub.followers[follower] = None
        try:
            await asyncio.shield(hub.ready)  # one joiner giving up must not cancel the others' wait
            follower.replay([hub.item(event) for event in await self._log.replay(call_id)])
            yield follower
        finally:
            hub.followers.pop(follower, None)
            if not hub.followers and self._hubs.get(call_id) is hub:
                del self._hubs[call_id]
                await hub.aclose()


async def _items_of(events: AsyncGenerator[Event, None]) -> AsyncGenerator[CallEventItem, None]:
    async with contextlib.aclosing(events):
        async for event in events:
            yield CallEventItem(event)
