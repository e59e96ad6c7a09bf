"""The call's clocks: the hard duration limit and the caller-silence timer (which feeds the inbox)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.calls.lifecycle import CallOutcome, EndReason
from app.voice.clock import Clock
from app.voice.pacing import shared_tick
from app.voice.session_config import SessionConfig
from app.voice.session_facts import CallFacts
from app.voice.session_inbox import InboxItem, Silence

TICK = 0.1


async def watch_timers(
    *,
    facts: CallFacts,
    config: SessionConfig,
    clock: Clock,
    inbox: asyncio.Queue[InboxItem],
    idle: Callable[[], bool],
    agent_quiet_since: Callable[[], float],
) -> None:
    """Ends the call at `max_duration`; reports `Silence` when nobody has spoken for `silence_timeout`.
    `idle`: nobody speaks, thinks or waits in the inbox; `agent_quiet_since`: when the agent last stopped."""
    tick = shared_tick(clock, TICK)  # one timer for every call's clocks, not one per call
    while True:
        await tick.until(clock.now() + TICK)
        now = clock.now()
        if now - facts.started_at >= config.max_duration:
            facts.end(CallOutcome.CONNECTED, EndReason.MAX_DURATION)
            return
        quiet_since = max(facts.last_activity, agent_quiet_since())
        if idle() and now - quiet_since >= config.silence_timeout:
            facts.last_activity = now
            inbox.put_nowait(Silence())
