"""Who is on the phone right now, and what was said recently: the live-call registry and the replay
buffer of call events. In memory for one process; in Redis when several instances share the work.

Every call event gets a per-call sequence number when it is appended, so a subscriber can read the
replay buffer after subscribing and drop the live events it already replayed: no gap, no duplicate.
Each log carries the `CallFanout` through which this process's subscribers follow a call.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.calls.channels import call_events
from app.calls.fanout import CallFanout, Overflow
from app.events import Event, EventBus, RedisEventBus

REPLAY_EVENTS = 200
REPLAY_SECONDS = 600
LIVE_TTL_SECONDS = 6 * 3600  # a crashed instance's calls leave the Redis registry after this


class LiveRegistry(Protocol):
    async def add(self, organisation_id: str, call_id: str, entry: dict[str, Any]) -> None: ...
    async def update(self, organisation_id: str, call_id: str, **changes: Any) -> dict[str, Any] | None:
        """The entry with `changes` applied, or None when the call is not live."""

    async def remove(self, organisation_id: str, call_id: str) -> None: ...
    async def get(self, organisation_id: str, call_id: str) -> dict[str, Any] | None: ...
    async def list(self, organisation_id: str) -> list[dict[str, Any]]: ...


class MemoryLiveRegistry:
    def __init__(self) -> None:
        self._calls: dict[str, dict[str, dict[str, Any]]] = {}

    async def add(self, organisation_id: str, call_id: str, entry: dict[str, Any]) -> None:
        self._calls.setdefault(organisation_id, {})[call_id] = dict(entry)

    async def update(self, organisation_id: str, call_id: str, **changes: Any) -> dict[str, Any] | None:
        entry = self._calls.get(organisation_id, {}).get(call_id)
        if entry is None:
            return None
        entry.update(changes)
        return dict(entry)

    async def remove(self, organisation_id: str, call_id: str) -> None:
        calls = self._calls.get(organisation_id)
        if calls is not None:
            calls.pop(call_id, None)
            if not calls:
                del self._calls[organisation_id]

    async def get(self, organisation_id: str, call_id: str) -> dict[str, Any] | None:
        entry = self._calls.get(organisation_id, {}).get(call_id)
        return dict(entry) if entry is not None else None

    async def list(self, organisation_id: str) -> list[dict[str, Any]]:
        return [dict(entry) for entry in self._calls.get(organisation_id, {}).values()]


class RedisLiveRegistry:
    """One hash per organisation: field = call id, value = the entry as JSON."""

    def __init__(self, redis: Any, prefix: str = "voiceai:live:") -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, organisation_id: str) -> str:
        return self._prefix + organisation_id

    async def add(self, organisation_id: str, call_id: str, entry: dict[str, Any]) -> None:
        key = self._key(organisation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.hset(key, call_id, json.dumps(entry)).expire(key, LIVE_TTL_SECONDS).execute()

    async def update(self, organisation_id: str, call_id: str, **changes: Any) -> dict[str, Any] | None:
        entry = await self.get(organisation_id, call_id)
        if entry is None:
            return None
        entry.update(changes)  # one session owns a call, so its updates do not race each other
        await self._redis.hset(self._key(organisation_id), call_id, json.dumps(entry))
        return entry

    async def remove(self, organisation_id: str, call_id: str) -> None:
        await self._redis.hdel(self._key(organisation_id), call_id)

    async def get(self, organisation_id: str, call_id: str) -> dict[str, Any] | None:
        raw = await self._redis.hget(self._key(organisation_id), call_id)
        return json.loads(raw) if raw is not None else None

    async def list(self, organisation_id: str) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in (await self._redis.hgetall(self._key(organisation_id))).values()]


class CallEventLog(Protocol):
    fanout: CallFanout  # followers of a call in this process share one bus subscription and each event's encoding

    async def append(self, call_id: str, event: Event) -> Event:
        """Number the event, keep it for replay and publish it on the call's channel; returns it numbered."""

    async def replay(self, call_id: str) -> list[Event]:
        """Up to 200 events of the last 10 minutes, oldest first."""


@dataclass
class _Buffer:
    seq: int = 0
    events: deque[tuple[float, Event]] = field(default_factory=lambda: deque(maxlen=REPLAY_EVENTS))


class MemoryCallEventLog:
    """Buffers are kept in the order of their latest event, so expiry looks only at the oldest ones:
    an append costs O(1) amortised however many calls are live (each buffer expires once)."""

    def __init__(
        self,
        bus: EventBus,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_overflow: Callable[[Overflow], None] | None = None,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self._buffers: OrderedDict[str, _Buffer] = OrderedDict()  # least recently appended to first
        self.fanout = CallFanout(bus, self, on_overflow=on_overflow)

    def __len__(self) -> int:
        """Calls with a buffer (those with an event in the last 10 minutes, until the next append)."""
        return len(self._buffers)

    async def append(self, call_id: str, event: Event) -> Event:
        now = self._clock()
        self._forget_older_than(now - REPLAY_SECONDS)
        buffer = self._buffers.get(call_id)
        if buffer is None:
            buffer = self._buffers[call_id] = _Buffer()
        else:
            self._buffers.move_to_end(call_id)
        buffer.seq += 1
        numbered = {**event, "seq": buffer.seq}
        buffer.events.append((now, numbered))
        await self._bus.publish(call_events(call_id), numbered)  # no await before this: order is seq order
        return numbered

    async def replay(self, call_id: str) -> list[Event]:
        buffer = self._buffers.get(call_id)
        if buffer is None:
            return []
        since = self._clock() - REPLAY_SECONDS
        return [event for at, event in buffer.events if at >= since]

    def _forget_older_than(self, cutoff: float) -> None:
        """Drop the buffers whose latest event is older than `cutoff`: they are all at the front."""
        buffers = self._buffers
        while buffers:
            call_id, buffer = next(iter(buffers.items()))
            if buffer.events and buffer.events[-1][0] >= cutoff:
                return
            del buffers[call_id]


# Number, keep (trimmed, expiring) and publish in one atomic step, so channel order is seq order.
_APPEND = """
local seq = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local body = '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2)
redis.call('RPUSH', KEYS[2], ARGV[2] .. '|' .. body)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', KEYS[3], body)
return seq
"""


class RedisCallEventLog:
    def __init__(
        self,
        bus: RedisEventBus,
        prefix: str = "voiceai:replay:",
        *,
        on_overflow: Callable[[Overflow], None] | None = None,
    ) -> None:
        self._bus = bus
        self._redis = bus.redis
        self._prefix = prefix
        self._script = self._redis.register_script(_APPEND)
        self.fanout = CallFanout(bus, self, on_overflow=on_overflow)

    async def append(self, call_id: str, event: Event) -> Event:
        body = json.dumps(event, separators=(",", ":"))
        keys = [f"{self._prefix}{call_id}:seq", f"{self._prefix}{call_id}:events", self._bus.key(call_events(call_id))]
        seq = await self._script(keys=keys, args=[body, repr(time.time()), REPLAY_SECONDS, REPLAY_EVENTS])
        return {"seq": int(seq), **event}

    async def replay(self, call_id: str) -> list[Event]:
        since = time.time() - REPLAY_SECONDS
        events = []
        for raw in await self._redis.lrange(f"{self._prefix}{call_id}:events", 0, -1):
            at, _, body = (raw.decode() if isinstance(raw, bytes) else raw).partition("|")
            if float(at) >= since:
                events.append(json.loads(body))
        return events


def build_live(
    bus: EventBus, on_overflow: Callable[[Overflow], None] | None = None
) -> tuple[LiveRegistry, CallEventLog]:
    """`on_overflow` hears of every overflow of a call's shared bus subscription (for metrics)."""
    if isinstance(bus, RedisEventBus):
        return RedisLiveRegistry(bus.redis), RedisCallEventLog(bus, on_overflow=on_overflow)
    return MemoryLiveRegistry(), MemoryCallEventLog(bus, on_overflow=on_overflow)
