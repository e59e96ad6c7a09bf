"""Warm transfer on Exotel: the voicebot applet cannot transfer, so the session closes the stream with the
transfer recorded, then the flow's Passthru applet asks whether to transfer (302) or hang up (200), and its
Connect applet asks which number to dial. The voicebot applet itself may fetch its socket URL per call. Both
requests are unauthenticated: they must name a call we
know by its Exotel CallSid (unguessable), and CustomField, when present, must be that call's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from app.calls.lifecycle import CallOutcome, EndReason
from app.calls.live import CallEventLog
from app.db.models import Call, HumanQueue
from app.errors import Forbidden, NotFound, Unavailable
from app.voice.transports.exotel_auth import call_socket_password

TRANSFERRED = (CallOutcome.WARM_TRANSFER,)


@dataclass(frozen=True)
class Handoff:
    transfer: bool
    number: str | None = None


class HandoffService:
    def __init__(self, events: CallEventLog) -> None:
        self._events = events

    async def _call(self, params: Mapping[str, str]) -> Call:
        call_sid = (params.get("CallSid") or "").strip()
        if not call_sid:
            raise Forbidden("CallSid is required")
        call = await Call.filter(provider_call_id=call_sid).first()
        if call is None:
            raise Forbidden("CallSid does not name a call of this platform")
        custom = (params.get("CustomField") or "").strip()
        if custom and custom != call.id:
            raise Forbidden("CustomField does not match the call")
        return call

    async def stream_url(self, params: Mapping[str, str], public_url: str, secret_key: str | None = None) -> str:
        """The voicebot applet's dynamic URL: an outbound call's socket carries its call, flow and customer
        as custom parameters (Exotel echoes them in `start.custom_parameters`), so the socket finds the
        call the dialer placed, and per-call credentials in place of the account's token (this answer is
        unauthenticated; see exotel_auth.py). Inbound calls (no CustomField) get the bare URL and are matched
        by number: their applet URL carries the account's KEY:TOKEN (docs/exotel-setup.md)."""
        scheme, _, rest = public_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1).partition("://")
        base = f"{scheme}://{rest}/api/voice/ws/exotel"
        if not (params.get("CustomField") or "").strip():
            return base
        call = await self._call(params)
        custom = {"call_id": call.id, "flow_id": call.flow_id, "customer_id": call.customer_id}
        query = urlencode({key: value for key, value in custom.items() if value})
        if not secret_key:
            return f"{base}?{query}"
        return f"{scheme}://{call.id}:{call_socket_password(secret_key, call.id)}@{rest}/api/voice/ws/exotel?{query}"

    async def passthru(self, params: Mapping[str, str]) -> bool:
        """True when the voicebot handed the caller over (answer 302, the Connect branch)."""
        call = await self._call(params)
        return call.end_reason == EndReason.TRANSFER or call.outcome in TRANSFERRED

    async def target_number(self, params: Mapping[str, str]) -> str:
        call = await self._call(params)
        target = None
        for event in await self._events.replay(call.id):
            if event.get("type") == "status" and event.get("status") == "transfer_initiated":
                target = event.get("target")
        queues = HumanQueue.filter(organisation_id=call.organisation_id)
        queue = await queues.filter(name=target).first() if target else None
        if queue is None:
            queue = await queues.filter(name="default").first() or await queues.order_by("name").first()
        if queue is None:
            raise Unavailable("No agents available in target queue")
        if not queue.transfer_number:
            raise NotFound("Queue has no transfer number")
        return queue.transfer_number
