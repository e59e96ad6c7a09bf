"""The one small interface between a live call (the voice pipeline) and the call record.

The pipeline never touches the database or the bus itself: it reports what happens on the call
through a `CallReporter`, and receives workflow commands (transfer, end) that may have been
issued on any instance. The calls package implements it; tests of the pipeline may use any
object with these methods.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from app.billing.usage import CallUsage
from app.calls.lifecycle import CallCommand, CallOutcome, EndReason
from app.latency.summary import LatencySummary
from app.latency.turns import TurnLatency

__all__ = ["CallAnalysis", "CallCommand", "CallEnd", "CallReporter", "CallStart", "CallType", "Speaker"]


class CallType(str, Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    TEST = "test"


class Speaker(str, Enum):
    AGENT = "agent"
    CUSTOMER = "customer"


@dataclass(frozen=True)
class CallStart:
    organisation_id: str
    call_type: CallType
    flow_id: str | None
    voice_agent_id: str | None
    customer_id: str | None
    from_number: str | None
    to_number: str | None
    started_at: datetime
    provider_call_id: str | None = None
    call_id: str | None = None  # set when the dialer created the call row before dialling
    recording_opt_out: bool = False  # the customer declined recording: no recording is served
    voice_heard: bool = True  # False: `call.started` waits for `CallReporter.voice_heard()`


@dataclass(frozen=True)
class CallEnd:
    outcome: CallOutcome
    ended_at: datetime
    duration_seconds: int
    end_reason: EndReason | str | None = None  # a carrier's own failure text passes through as is
    recording_path: str | None = None  # blob-storage key of the platform's own recording
    language_detected: str | None = None
    recording_url: str | None = None  # the telephony provider's recording, proxied by the platform
    usage: CallUsage | None = None  # what the session counted (None: only the telephony duration is known)
    latency: LatencySummary | None = None


@dataclass(frozen=True)
class CallAnalysis:
    """Post-call results; arrives after CallEnd because extraction takes an LLM round trip."""

    summary: str | None = None
    sentiment: str | None = None  # positive, neutral, negative
    key_details: dict[str, Any] = field(default_factory=dict)  # {"extraction": ..., "qms_scores": ...}


class CallReporter(Protocol):
    async def started(self, start: CallStart) -> str:
        """Create (or claim) the call row, register it as live, publish `start`; returns the call id."""

    async def voice_heard(self, call_id: str) -> None:
        """The caller's voice was first heard on the connected call: fires `call.started` (the session
        reports the start with `voice_heard=False` and calls this once)."""

    async def transcript(
        self, call_id: str, speaker: Speaker, text: str, timestamp: float, latency: TurnLatency | None = None
    ) -> None:
        """A finished turn (for the agent: only what the caller actually heard), with an agent reply's latency:
        one row update per turn, the latency riding along."""

    async def status(self, call_id: str, status: str, details: dict[str, Any] | None = None) -> None:
        """e.g. transfer_initiated {target}, on_hold, ..."""

    async def ended(self, call_id: str, end: CallEnd) -> None:
        """Persist the end, unregister the live call, publish `end`, count the call on the customer; the
        first end of a call fires its outcome's event and `call.ended` (whoever reports it), later ones nothing."""

    async def analysed(self, call_id: str, analysis: CallAnalysis) -> None:
        """Store summary, sentiment and key_details; the call's `call.ended`, held since its end for this,
        goes out with them."""

    def commands(self, call_id: str) -> AsyncIterator[CallCommand]:
        """Workflow commands for this call, from whichever instance received them."""
