"""Following one call's events: the replay buffer first, then live events, without gap or duplicate."""

from __future__ import annotations

from typing import AsyncIterator

from app.calls.channels import call_events
from app.calls.live import CallEventLog
from app.events import Event, EventBus


async def follow_call(bus: EventBus, log: CallEventLog, call_id: str) -> AsyncIterator[Event]:
    """Subscribe before reading the buffer, so anything not replayed arrives live; live events already
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
