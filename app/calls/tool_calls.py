"""The in-call tool requests of a call record (issue 16), as the doors and `call.ended` show them; the
`tools` package writes them (`app/tools/records.py`)."""

from __future__ import annotations

from typing import Any

from app.db.models import ToolInvocation


async def invocations_of(call_id: str) -> list[dict[str, Any]]:
    """A call's invocations in order, in the public shape."""
    rows = (
        await ToolInvocation.filter(call_id=call_id)
        .order_by("id")
        .values("tool", "arguments", "status", "latency_ms", "result", "at", "http_status")
    )
    return [dict(row) for row in rows]
