"""What the dialer asks of a carrier, whichever one it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class DialRequest:
    call_id: str  # our call row; travels as CustomField / custom parameter
    organisation_id: str
    flow_id: str
    customer_id: str
    to_number: str  # the customer
    caller_id: str | None = None  # our ExoPhone
    flow_url: str | None = None  # the Exotel flow (voicebot applet) the answered call is connected to
    time_limit_seconds: int | None = None
    ring_seconds: int | None = None
    record: bool = True


@dataclass(frozen=True)
class DialResult:
    """`queued` means the carrier accepted the call; `failed` carries why (auth, rate limit, bad number)."""

    outcome: str  # "queued" or "failed"
    provider_call_id: str | None = None
    reason: str | None = None


class Carrier(Protocol):
    async def place_call(self, request: DialRequest) -> DialResult: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class CallDetails:
    """What the carrier says about a call now (Exotel's `Calls/<CallSid>.json`), for reconciliation.

    `status` is Exotel's word: queued, ringing, in-progress, completed, failed, busy, no-answer."""

    account_sid: str
    call_sid: str
    status: str
    recording_url: str | None = None
    duration: int | None = None


class DetailsUnavailable(Exception):
    """The carrier could not say (auth, unknown call, rate limit, timeout); `reason` is short and loggable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class CallLookup(Protocol):
    """Carriers that can answer for one call; raises DetailsUnavailable when they cannot."""

    async def call_details(self, call_sid: str) -> CallDetails: ...
