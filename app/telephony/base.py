"""What the dialer asks of a carrier, whichever one it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class DialRequest:
    call_id: str                 # our call row; travels as CustomField / custom parameter
    organisation_id: str
    flow_id: str
    customer_id: str
    to_number: str               # the customer
    caller_id: str | None = None  # our ExoPhone
    flow_url: str | None = None   # the Exotel flow (voicebot applet) the answered call is connected to
    time_limit_seconds: int | None = None
    ring_seconds: int | None = None
    record: bool = True


@dataclass(frozen=True)
class DialResult:
    """`queued` means the carrier accepted the call; `failed` carries why (auth, rate limit, bad number)."""

    outcome: str                 # "queued" or "failed"
    provider_call_id: str | None = None
    reason: str | None = None


class Carrier(Protocol):
    async def place_call(self, request: DialRequest) -> DialResult: ...

    async def aclose(self) -> None: ...
