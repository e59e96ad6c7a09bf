"""A loopback Exotel REST server: `POST /v1/Accounts/<sid>/Calls/connect.json` checks Basic auth and the
form fields, answers a `Call` object, and can be told to answer an error (auth, rate limit, bad number).
`GET /v1/Accounts/<sid>/Calls/<CallSid>.json` answers the call as it stands (`finish` moves a call on),
404 for a call it never placed, and `details_fail_with` / `details_delay` for errors and slow answers."""

from __future__ import annotations

import asyncio
import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import serve

REQUIRED = ("From", "CallerId", "Url", "CustomField", "StatusCallback")


@dataclass
class FakeExotel:
    account_sid: str = "acct_test"
    api_key: str = "exo_key_test"
    api_token: str = "exo_token_test"
    fail_with: int | None = None  # force an HTTP error status
    requests: list[list[tuple[str, str]]] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # CallSid -> the Call object
    details_asked: list[str] = field(default_factory=list)
    details_fail_with: int | None = None
    details_delay: float = 0.0
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeExotel:
        app = web.Application()
        app.router.add_post("/v1/Accounts/{sid}/Calls/connect.json", self._connect)
        app.router.add_get("/v1/Accounts/{sid}/Calls/{call_sid}.json", self._details)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()

    def _authorised(self, request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.api_key}:{self.api_token}".encode()).decode()
        return request.headers.get("Authorization") == expected and request.match_info["sid"] == self.account_sid

    def place(self, sid: str, **fields: Any) -> dict[str, Any]:
        """A call as if placed through connect.json (tests that make call rows themselves)."""
        self.calls[sid] = self._call(sid, {"From": "+919800000000", "CallerId": "+918047112345", **fields})
        return self.calls[sid]

    def finish(self, sid: str, status: str, *, recording_url: str | None = None, duration: int | None = None) -> None:
        """The call as Exotel would report it after it ended (its callback is the one that got lost)."""
        self.calls[sid].update(
            {
                "Status": status,
                "EndTime": "2026-05-12 14:35:00",
                "DateUpdated": "2026-05-12 14:35:00",
                "RecordingUrl": recording_url,
                "Duration": str(duration) if duration is not None else None,
            }
        )

    async def _details(self, request: web.Request) -> web.Response:
        self.details_asked.append(request.match_info["call_sid"])
        if self.details_delay:
            await asyncio.sleep(self.details_delay)
        if not self._authorised(request):
            return web.json_response({"RestException": {"Status": 401, "Message": "Authentication failed"}}, status=401)
        if self.details_fail_with:
            return web.json_response(
                {"RestException": {"Status": self.details_fail_with, "Message": "failed"}},
                status=self.details_fail_with,
            )
        call = self.calls.get(request.match_info["call_sid"])
        if call is None:
            return web.json_response({"RestException": {"Status": 404, "Message": "Call not found"}}, status=404)
        return web.json_response({"Call": call})

    async def _connect(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"RestException": {"Status": 401, "Message": "Authentication failed"}}, status=401)
        if request.content_type != "application/x-www-form-urlencoded":
            return web.json_response({"RestException": {"Status": 400, "Message": "form expected"}}, status=400)
        form = list((await request.post()).items())
        self.requests.append([(key, str(value)) for key, value in form])
        fields = dict(form)
        if self.fail_with == 429:
            return web.json_response({"RestException": {"Status": 429, "Message": "Too many requests"}}, status=429)
        missing = [name for name in REQUIRED if not fields.get(name)]
        if missing:
            return web.json_response(
                {"RestException": {"Status": 400, "Message": f"{missing[0]} is required"}}, status=400
            )
        if not str(fields["From"]).startswith("+") or self.fail_with == 400:
            return web.json_response({"RestException": {"Status": 400, "Message": "Invalid From number"}}, status=400)
        sid = secrets.token_hex(16)
        self.calls[sid] = self._call(sid, fields)
        return web.json_response({"Call": self.calls[sid]})

    def _call(self, sid: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {
            "Sid": sid,
            "ParentCallSid": None,
            "DateCreated": "2026-05-12 14:32:01",
            "DateUpdated": "2026-05-12 14:32:01",
            "AccountSid": self.account_sid,
            "To": fields.get("CallerId"),
            "From": fields["From"],
            "PhoneNumberSid": fields.get("CallerId"),
            "Status": "in-progress",
            "StartTime": "2026-05-12 14:32:01",
            "EndTime": None,
            "Duration": None,
            "Price": None,
            "Direction": "outbound-api",
            "AnsweredBy": None,
            "ForwardedFrom": None,
            "CallerName": None,
            "Uri": f"/v1/Accounts/{self.account_sid}/Calls/{sid}.json",
            "RecordingUrl": None,
            "PreSignedRecordingUrl": None,
        }
