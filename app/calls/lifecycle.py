"""The call lifecycle's closed sets: outcome, end reason, call status, dial-job status, and the workflow
commands a live call receives.

Every member's value is today's wire and column value (the REST shim, GraphQL, webhooks and the database
all carry these strings unchanged); `StrEnum` members compare equal to those strings. Note the one trap the
names make visible: the outcome `no-answer` (hyphen, a carrier's word) and the end reason `no_answer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple


class CallOutcome(StrEnum):
    """What came of the call, for reports and the dialer's retries."""

    CONNECTED = "connected"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    WARM_TRANSFER = "warm_transfer"


class EndReason(StrEnum):
    """Why the call ended. A carrier's own failure text (e.g. `dial_error: ...`) also travels as an end
    reason, so fields that hold one are typed `EndReason | str`."""

    CALLER_HANGUP = "caller_hangup"
    AGENT_HANGUP = "agent_hangup"
    FLOW_STOPPED = "flow_stopped"
    MAX_DURATION = "max_duration"
    SILENCE = "silence"
    VOICEMAIL = "voicemail"
    TRANSFER = "transfer"
    WORKFLOW_END = "workflow_end"
    INTERNAL_ERROR = "internal_error"
    SERVER_RESTART = "server_restart"
    # the carrier's terminal statuses (app.telephony.status)
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CARRIER_FAILED = "carrier_failed"
    CANCELED = "canceled"
    # what a workflow may ask for when it ends a call (the endCall mutation)
    DNC_REQUEST = "dnc_request"
    WRONG_NUMBER = "wrong_number"
    HOSTILE_CALLER = "hostile_caller"
    WORKFLOW_CLOSE = "workflow_close"


WORKFLOW_END_REASONS = (
    EndReason.DNC_REQUEST,
    EndReason.WRONG_NUMBER,
    EndReason.HOSTILE_CALLER,
    EndReason.WORKFLOW_CLOSE,
)


class CallStatus(StrEnum):
    """The call row's status column; `in-progress` and `ringing` are also the carrier's words."""

    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"


class DialJobStatus(StrEnum):
    """A campaign job: queued → dialling → done | failed, or cancelled when its campaign stops."""

    QUEUED = "queued"
    DIALLING = "dialling"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_DIAL_JOBS = (DialJobStatus.QUEUED, DialJobStatus.DIALLING)


class CallEnding(NamedTuple):
    """How a call ends: the outcome with its reason (replaces the bare `(outcome, reason)` tuples). A named
    tuple, so `outcome, reason = ending` and `end(*ending)` read as before."""

    outcome: CallOutcome
    reason: EndReason | str


@dataclass(frozen=True)
class EndCommand:
    """End the live call as connected, with the workflow's reason."""

    reason: EndReason | str | None = None
    kind: str = field(default="end", init=False)


@dataclass(frozen=True)
class TransferCommand:
    """Hand the live call to a human queue with a brief for the agent who picks it up."""

    target: str | None = None
    agent_brief: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    # the queue's phone number, for a carrier-side handoff: routing detail, not part of what the command asks
    transfer_number: str | None = field(default=None, compare=False)
    kind: str = field(default="transfer", init=False)


CallCommand = EndCommand | TransferCommand


def command_payload(command: CallCommand) -> dict[str, Any]:
    """The bus message of a command (the wire between instances; keys as before)."""
    if isinstance(command, TransferCommand):
        return {
            "kind": command.kind,
            "target": command.target,
            "agent_brief": command.agent_brief,
            "context": command.context,
            "transfer_number": command.transfer_number,
        }
    return {"kind": command.kind, "reason": command.reason}


def command_from(event: dict[str, Any]) -> CallCommand | None:
    """A command read off the bus; None for a kind this build does not know (a newer instance's)."""
    kind = event.get("kind")
    if kind == "transfer":
        return TransferCommand(
            target=event.get("target"),
            agent_brief=event.get("agent_brief"),
            context=event.get("context") or {},
            transfer_number=event.get("transfer_number"),
        )
    if kind == "end":
        reason = event.get("reason")
        return EndCommand(reason=_reason(reason) if isinstance(reason, str) else None)
    return None


def _reason(text: str) -> EndReason | str:
    try:
        return EndReason(text)
    except ValueError:
        return text
