"""What every transport does while its call runs: read the socket into the session until either side ends
the call, and never let the socket reader outlive it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from app.calls.lifecycle import CallOutcome, EndReason
from app.voice.session import CallSession


async def run_call(session: CallSession, reader: Coroutine[Any, Any, None], name: str) -> None:
    """Returns once the call has ended and the reader is gone; the caller then closes its socket and
    `session.wait()`s for the teardown, in the order its protocol wants."""
    task = asyncio.get_running_loop().create_task(reader, name=name)
    try:
        await session.start()
        await session.ended.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        session.end(CallOutcome.CONNECTED, EndReason.CALLER_HANGUP)
