"""Bus channel names of the calls domain, in one place so publishers and subscribers agree."""

from __future__ import annotations


def call_events(call_id: str) -> str:
    """start, transcript, status and end events of one call (each with a per-call `seq`)."""
    return f"call:{call_id}:events"


def call_commands(call_id: str) -> str:
    """Workflow commands (transfer, end) for the instance whose session holds the call."""
    return f"call:{call_id}:commands"


def live_calls(organisation_id: str) -> str:
    """`started` / `updated` / `ended` notices for dashboards of one organisation."""
    return f"org:{organisation_id}:live"
