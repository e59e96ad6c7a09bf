"""What the outside world sees of a call: live-list entries and webhook event data (as the spec shows)."""

from __future__ import annotations

from typing import Any

from app.calls.lifecycle import CallStatus
from app.db.models import Call, Customer
from app.webhooks.outbox import iso


def recording_url(call: Call, public_url: str) -> str | None:
    if call.recording_opt_out or not (call.recording_url or call.recording_path):
        return None
    return f"{public_url}/api/voice/calls/{call.id}/recording"


def live_entry(call: Call) -> dict[str, Any]:
    return {
        "uuid": call.id,
        "call_type": call.call_type,
        "flow_uuid": call.flow_id,
        "customer_uuid": call.customer_id,
        "voice_agent_uuid": call.voice_agent_id,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "status": CallStatus.IN_PROGRESS.value,
        "target": None,
        "started_at": iso(call.started_at) if call.started_at else None,
    }


def call_data(call: Call, customer: Customer | None, public_url: str, *, full: bool) -> dict[str, Any]:
    """The `data` of call.* events; `full` (call.ended) adds transcript, outcome, sentiment and duration."""
    data: dict[str, Any] = {
        "call_uuid": call.id,
        "call_type": call.call_type,
        "flow_uuid": call.flow_id,
        "customer_uuid": call.customer_id,
        "customer_phone": customer.phone
        if customer
        else (call.from_number if call.call_type == "inbound" else call.to_number),
        "customer_metadata": (customer.metadata or {}) if customer else {},
    }
    if full:
        data.update(
            {
                "outcome": call.outcome,
                "sentiment": call.sentiment,
                "duration_seconds": call.duration,
                "language_detected": call.language_detected,
                "transcript": list(call.transcript or []),
                "recording_url": recording_url(call, public_url),
                # extensions (issue 17): what the call used, what it cost, how quickly the agent answered
                "usage": call.usage,
                "cost": call.cost,
                "latency": call.latency,
            }
        )
    data["started_at"] = iso(call.started_at) if call.started_at else None
    if full or call.ended_at:
        data["ended_at"] = iso(call.ended_at) if call.ended_at else None
    return data
