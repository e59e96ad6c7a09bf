"""A loopback Exotel REST server: `POST /v1/Accounts/<sid>/Calls/connect.json` checks Basic auth and the
form fields, answers a `Call` object, and can be told to answer an error (auth, rate limit, bad number)."""

from __future__ import annotations

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
    fail_with: int | None = None           # force an HTTP error status
    requests: list[list[tuple[str, str]]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> "FakeExotel":
        app = web.Application()
        app.router.add_post("/v1/Accounts/{sid}/Calls/connect.json", self._connect)
        self._runner, self.url = await serve(app)
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _connect(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{self.api_key}:{self.api_token}".encode()).decode()
        if request.headers.get("Authorization") != expected or request.match_info["sid"] != self.account_sid:
            return web.json_response({"RestException": {"Status": 401, "Message": "Authentication failed"}},
                                     status=401)
        if request.content_type != "application/x-www-form-urlencoded":
            return web.json_response({"RestException": {"Status": 400, "Message": "form expected"}}, status=400)
        form = list((await request.post()).items())
        self.requests.append([(key, str(value)) for key, value in form])
        fields = dict(form)
        if self.fail_with == 429:
            return web.json_response({"RestException": {"Status": 429, "Message": "Too many requests"}}, status=429)
        missing = [name for name in REQUIRED if not fields.get(name)]
        if missing:
            return web.json_response({"RestException": {"Status": 400, "Message": f"{missing[0]} is required"}},
                                     status=400)
        if not str(fields["From"]).startswith("+") or self.fail_with == 400:
            return web.json_response({"RestException": {"Status": 400, "Message": "Invalid From number"}},
                                     status=400)
        sid = secrets.token_hex(16)
        return web.json_response({"Call": self._call(sid, fields)})

    def _call(self, sid: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {"Sid": sid, "ParentCallSid": None, "DateCreated": "2026-05-12 14:32:01",
                "DateUpdated": "2026-05-12 14:32:01", "AccountSid": self.account_sid, "To": fields.get("CallerId"),
                "From": fields["From"], "PhoneNumberSid": fields.get("CallerId"), "Status": "in-progress",
                "StartTime": "2026-05-12 14:32:01", "EndTime": None, "Duration": None, "Price": None,
                "Direction": "outbound-api", "AnsweredBy": None, "ForwardedFrom": None, "CallerName": None,
                "Uri": f"/v1/Accounts/{self.account_sid}/Calls/{sid}.json", "RecordingUrl": None,
                "PreSignedRecordingUrl": None}
