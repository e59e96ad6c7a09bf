"""The call's clocks: the hard duration limit and the caller-silence timer (which feeds the inbox)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.calls.lifecycle import CallOutcome, EndReason
from app.voice.session_inbox import Silence

if TYPE_CHECKING:
    from app.voice.session import CallSession

TICK = 0.1


async def watch_timers(session: "CallSession") -> None:
    """Ends the call at `max_duration`; reports `Silence` when nobody has spoken for `silence_timeout`."""
    config = session.config
    while True:
        await session.clock.sleep(TICK)
        now = session.clock.now()
        if now - session.t0 >= config.max_duration:
            session.end(CallOutcome.CONNECTED, EndReason.MAX_DURATION)
            return
        idle = not (session.agent_active or session.endpoint.in_speech or session.turns.busy
                    or session.inbox.qsize())
        quiet_since = max(session.last_activity, session.speech.player.finished_at)
        if idle and now - quiet_since >= config.silence_timeout:
            session.last_activity = now
            session.inbox.put_nowait(Silence())
