"""Exotel REST client: `POST /v1/Accounts/<sid>/Calls/connect.json` (form-encoded, Basic auth) places a call,
`GET /v1/Accounts/<sid>/Calls/<CallSid>.json` reads it back (the fallback when a status callback is lost).

The platform call id rides in `CustomField` and comes back in status callbacks and Passthru requests.
Exotel error answers become a `failed` DialResult with the reason, never an exception, so the dialer can
record the outcome and move on.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp

from app.integrations.service import ExotelAccount
from app.telephony.base import CallDetails, DetailsUnavailable, DialRequest, DialResult

log = logging.getLogger("app.telephony.exotel")

STATUS_PATH = "/api/voice/webhooks/exotel/status"
REASONS = {401: "auth_failed", 403: "auth_failed", 429: "rate_limited"}


def status_callback_url(public_url: str, account_sid: str) -> str:
    """The account SID rides in the query so our endpoint can validate the callback against it."""
    return f"{public_url.rstrip('/')}{STATUS_PATH}?{urlencode({'AccountSid': account_sid})}"


def connect_form(account: ExotelAccount, request: DialRequest, public_url: str) -> list[tuple[str, str]]:
    """The exact form Exotel's docs describe; order kept stable so tests can compare it."""
    form = [
        ("From", request.to_number),
        ("CallerId", request.caller_id or account.phone_number),
        ("Url", request.flow_url or ""),
        ("CallType", "trans"),
        ("CustomField", request.call_id),
        ("StatusCallback", status_callback_url(public_url, account.account_sid)),
        ("StatusCallbackEvents[0]", "terminal"),
        ("StatusCallbackEvents[1]", "answered"),
    ]
    if request.record:
        form += [("Record", "true"), ("RecordingChannels", "dual")]
    if request.time_limit_seconds:
        form.append(("TimeLimit", str(min(int(request.time_limit_seconds), 14400))))
    if request.ring_seconds:
        form.append(("TimeOut", str(int(request.ring_seconds))))
    return form


class ExotelClient:
    """One aiohttp session per client; the dialer owns it and closes it at shutdown."""

    def __init__(
        self,
        account: ExotelAccount,
        public_url: str,
        *,
        timeout_seconds: float = 15.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.account = account
        self._public_url = public_url
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session = session
        self._owns_session = session is None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._owns_session = True
        return self._session

    @property
    def connect_url(self) -> str:
        return f"{self.account.base_url}/v1/Accounts/{quote(self.account.account_sid, safe='')}/Calls/connect.json"

    async def place_call(self, request: DialRequest) -> DialResult:
        auth = aiohttp.BasicAuth(self.account.api_key, self.account.api_token)
        form = connect_form(self.account, request, self._public_url)
        try:
            async with self._http().post(self.connect_url, data=form, auth=auth) as answer:
                body = await _json(answer)
                if answer.status >= 400:
                    return DialResult("failed", reason=_reason(answer.status, body))
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("Exotel connect failed: %s", error)
            return DialResult("failed", reason="carrier_unreachable")
        call = body.get("Call") or body.get("call") or {}
        sid = call.get("Sid") or call.get("sid")
        if not sid:
            return DialResult("failed", reason="carrier_bad_answer")
        status = str(call.get("Status") or call.get("status") or "queued")
        if status in ("failed", "busy", "no-answer"):
            return DialResult("failed", provider_call_id=str(sid), reason=status)
        return DialResult("queued", provider_call_id=str(sid))

    def details_url(self, call_sid: str) -> str:
        account = quote(self.account.account_sid, safe="")
        return f"{self.account.base_url}/v1/Accounts/{account}/Calls/{quote(call_sid, safe='')}.json"

    async def call_details(self, call_sid: str) -> CallDetails:
        """The call as Exotel knows it now; DetailsUnavailable names why it could not be read."""
        auth = aiohttp.BasicAuth(self.account.api_key, self.account.api_token)
        try:
            async with self._http().get(self.details_url(call_sid), auth=auth) as answer:
                body = await _json(answer)
                if answer.status == 404:
                    raise DetailsUnavailable("not_found")
                if answer.status >= 400:
                    raise DetailsUnavailable(_reason(answer.status, body))
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DetailsUnavailable("carrier_unreachable") from error
        call = body.get("Call") or body.get("call")
        call = call if isinstance(call, dict) else {}
        status = str(call.get("Status") or call.get("status") or "").strip().lower()
        if not status:
            raise DetailsUnavailable("carrier_bad_answer")
        recording = call.get("RecordingUrl") or call.get("recording_url") or call.get("PreSignedRecordingUrl")
        return CallDetails(
            account_sid=self.account.account_sid,
            call_sid=str(call.get("Sid") or call_sid),
            status=status,
            recording_url=str(recording) if recording else None,
            duration=_seconds(call.get("Duration") or call.get("duration")),
        )

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()


async def _json(answer: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body = await answer.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return {}
    return body if isinstance(body, dict) else {}


def _seconds(value: Any) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _reason(status: int, body: dict[str, Any]) -> str:
    """`auth_failed`, `rate_limited`, `bad_number: <message>` or `carrier_error_<status>`."""
    if status in REASONS:
        return REASONS[status]
    exception = body.get("RestException") or body.get("error") or {}
    message = (
        str(exception.get("Message") or exception.get("message") or "")[:200]
        if isinstance(exception, dict)
        else str(exception)[:200]
    )
    if status == 400:
        return f"bad_number: {message}" if message else "bad_number"
    return f"carrier_error_{status}"
