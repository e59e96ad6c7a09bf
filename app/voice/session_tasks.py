"""Every background task of one call has this owner: it names them, logs a failure (which ends the call as
`failed`/`internal_error`) and cancels what is left when the call closes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from app.calls.lifecycle import CallOutcome, EndReason
from app.voice.session_facts import CallFacts

log = logging.getLogger("app.voice.session")


class CallTasks:
    def __init__(self, facts: CallFacts) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self._facts = facts

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"call-{self._facts.call_id}-{name}")
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    async def close(self) -> None:
        """Cancels every task and waits until they are all gone."""
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s task %s failed", self._facts.call_id, task.get_name(), exc_info=task.exception())
            self._facts.end(CallOutcome.FAILED, EndReason.INTERNAL_ERROR)
