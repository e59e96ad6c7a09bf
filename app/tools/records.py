"""What a call's tool invocations were: one value per invocation, stored on the call and streamed live as
`{"type": "tool", ...}`. The voice session reports through the `ToolLog` protocol and never writes itself."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Protocol

from app.db.models import ToolInvocation

log = logging.getLogger("app.tools")
MAX_RECORDED_RESULT = 1000  # characters of the answer kept on the call record


class ToolStatus(str, Enum):
    OK = "ok"
    INVALID_ARGUMENTS = "invalid_arguments"  # the model's arguments failed the schema: nothing was sent
    TIMEOUT = "timeout"
    HTTP_ERROR = "http_error"  # an answer that is not 2xx
    REFUSED = "refused"  # the address resolved to a private one
    FAILED = "failed"  # connection or protocol error
    CANCELLED = "cancelled"  # the caller interrupted and the agent moved on


@dataclass(frozen=True)
class InvocationRecord:
    tool: str
    arguments: dict[str, Any]
    status: ToolStatus
    latency_ms: int
    result: str
    at: float  # seconds into the call
    http_status: int | None = None

    def payload(self) -> dict[str, Any]:
        """The public shape (REST extension field, webhook payloads, live event)."""
        return {**asdict(self), "status": self.status.value}


def truncated(text: str, limit: int = MAX_RECORDED_RESULT) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class EventAppender(Protocol):
    """The call's live event log (`app.calls.live.CallEventLog`): followers see what is appended."""

    async def append(self, call_id: str, event: dict[str, Any]) -> Any: ...


class ToolLog(Protocol):
    async def record(self, call_id: str, invocation: InvocationRecord) -> None:
        """Store the invocation on the call and publish it to the call's live followers."""


class ToolRecords:
    """The database and the call's event log."""

    def __init__(self, events: EventAppender) -> None:
        self._events = events

    async def record(self, call_id: str, invocation: InvocationRecord) -> None:
        await ToolInvocation.create(
            call_id=call_id,
            tool=invocation.tool,
            arguments=invocation.arguments,
            status=invocation.status.value,
            http_status=invocation.http_status,
            latency_ms=invocation.latency_ms,
            result=truncated(invocation.result),
            at=invocation.at,
        )
        await self._events.append(
            call_id,
            {"type": "tool", "call_uuid": call_id, **invocation.payload(), "result": truncated(invocation.result)},
        )
