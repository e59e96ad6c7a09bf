"""A call's tool belt: the HTTP tools the model is offered, their arguments checked against the schema
before anything is sent, the signed request made, and every invocation recorded.

A bad call is never raised: it becomes a tool message the model can recover from (`ToolOutcome.content`).
A timeout or an error answer is marked `apologise`, so the agent says sorry and the conversation goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from app.tools.definitions import ToolDefinition
from app.tools.invoker import CallIds, ToolAnswer, ToolTransport
from app.tools.records import InvocationRecord, ToolLog, ToolStatus

log = logging.getLogger("app.tools")


@dataclass(frozen=True)
class ToolOutcome:
    status: ToolStatus
    content: str  # what goes back to the model as the tool message
    latency_ms: int

    @property
    def apologise(self) -> bool:
        """The tool did not answer usefully: the caller hears an apology (bad arguments go back to the model)."""
        return self.status not in (ToolStatus.OK, ToolStatus.INVALID_ARGUMENTS)


class CallTools:
    def __init__(
        self,
        definitions: list[ToolDefinition] | tuple[ToolDefinition, ...],
        transport: ToolTransport,
        secret: str,
        facts: CallIds,
        records: ToolLog,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tools = {tool.name: tool for tool in definitions}
        self._validators = {tool.name: Draft202012Validator(tool.parameters) for tool in definitions}
        self._transport = transport
        self._secret = secret
        self.facts = facts
        self._records = records
        self._clock = clock

    def bind(self, call_id: str) -> None:
        """The call row exists now: requests and records name it."""
        self.facts = CallIds(call_id, self.facts.flow_id, self.facts.customer_id)

    def specs(self) -> list[dict[str, Any]]:
        return [tool.function_spec() for tool in self._tools.values()]

    def get(self, name: str) -> ToolDefinition | None:
        return self._tools.get(name)

    def problem(self, name: str, arguments: dict[str, Any]) -> str | None:
        """Why these arguments may not be sent (the first schema error), or None."""
        error = next(iter(self._validators[name].iter_errors(arguments)), None)
        if error is None:
            return None
        where = "/".join(str(part) for part in error.absolute_path)
        return f"{where + ': ' if where else ''}{error.message}"

    async def run(self, name: str, arguments: dict[str, Any], at: float) -> ToolOutcome:
        """Check, invoke, record. `at`: seconds into the call, for the record."""
        tool = self._tools[name]
        problem = self.problem(name, arguments)
        if problem is not None:
            content = json.dumps(
                {
                    "error": f"invalid arguments: {problem}",
                    "hint": "call the tool again with arguments that match its parameters",
                }
            )
            await self._record(tool, arguments, ToolStatus.INVALID_ARGUMENTS, 0, content, at, None)
            return ToolOutcome(ToolStatus.INVALID_ARGUMENTS, content, 0)
        started = self._clock()
        try:
            answer = await self._transport.invoke(tool, arguments, self.facts, self._secret)
        except asyncio.CancelledError:
            waited = int((self._clock() - started) * 1000)
            await asyncio.shield(self._record(tool, arguments, ToolStatus.CANCELLED, waited, "", at, None))
            raise
        latency = int((self._clock() - started) * 1000)
        status = _status(answer)
        if status == ToolStatus.OK:
            content = answer.body or "{}"
        else:
            content = json.dumps(
                {
                    "error": answer.error or f"the tool answered HTTP {answer.status}",
                    "status": answer.status,
                    "body": answer.body[:500] or None,
                }
            )
        await self._record(
            tool, arguments, status, latency, content if status != ToolStatus.OK else answer.body, at, answer.status
        )
        return ToolOutcome(status, content, latency)

    async def _record(
        self,
        tool: ToolDefinition,
        arguments: dict[str, Any],
        status: ToolStatus,
        latency: int,
        result: str,
        at: float,
        http_status: int | None,
    ) -> None:
        record = InvocationRecord(tool.name, arguments, status, latency, result, round(at, 2), http_status)
        if self.facts.call_id is None:
            return
        try:
            await self._records.record(self.facts.call_id, record)
        except Exception:  # a record that cannot be written never breaks the call
            log.exception("recording tool %s on call %s failed", tool.name, self.facts.call_id)


def _status(answer: ToolAnswer) -> ToolStatus:
    if answer.success:
        return ToolStatus.OK
    if answer.timed_out:
        return ToolStatus.TIMEOUT
    if answer.refused:
        return ToolStatus.REFUSED
    if answer.status is not None:
        return ToolStatus.HTTP_ERROR
    return ToolStatus.FAILED
