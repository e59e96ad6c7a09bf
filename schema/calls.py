"""Call records in GraphQL. Issue 3 needs them nested under customers; the calls API (issue 4) adds the
queries and mutations."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.scalars import JSON

from app.db.models import Call
from app.services.flow_metrics import mm_ss


@strawberry.type(name="Call")
class CallType:
    uuid: strawberry.ID
    call_type: str
    flow_uuid: Optional[str]
    customer_uuid: Optional[str]
    voice_agent_uuid: Optional[str]
    from_number: Optional[str]
    to_number: Optional[str]
    duration: Optional[int]
    duration_formatted: Optional[str]
    outcome: Optional[str]
    sentiment: Optional[str]
    summary: Optional[str]
    recording_url: Optional[str]
    key_details: JSON
    started_at: Optional[datetime]
    ended_at: Optional[datetime]

    @classmethod
    def of(cls, call: Call, public_url: str) -> "CallType":
        has_recording = (call.recording_url or call.recording_path) and not call.recording_opt_out
        return cls(
            uuid=strawberry.ID(call.id),
            call_type=call.call_type,
            flow_uuid=call.flow_id,
            customer_uuid=call.customer_id,
            voice_agent_uuid=call.voice_agent_id,
            from_number=call.from_number,
            to_number=call.to_number,
            duration=call.duration,
            duration_formatted=mm_ss(call.duration) if call.duration is not None else None,
            outcome=call.outcome,
            sentiment=call.sentiment,
            summary=call.summary,
            recording_url=f"{public_url}/api/voice/calls/{call.id}/recording" if has_recording else None,
            key_details=call.key_details or {},
            started_at=call.started_at,
            ended_at=call.ended_at,
        )
