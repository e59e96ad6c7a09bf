"""Exotel's unauthenticated requests: the status callback (form POST) and the Passthru/Connect applet
lookups for warm transfer (GET). They are validated by the app services, not by a bearer token, and are
exempt from the per-IP budget (carriers call from a few IPs at campaign volume)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from app.errors import DomainError, Invalid
from app.platform import Platform
from app.telephony.status import StatusUpdate
from compat_rest.routes import Handler
from compat_rest.shim import Endpoint, error_response

MAX_FORM_BYTES = 64 * 1024


def exotel_handlers(platform: Platform) -> dict[Handler, Endpoint]:
    status_service, handoff = platform.exotel_status, platform.handoff

    async def status(request: Request) -> Response:
        try:
            if request.headers.get("content-type", "").split(";")[0].strip() not in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                raise Invalid("the status callback must be form-encoded")
            form = await request.form()
            fields = {key: str(value) for key, value in form.items()}
            result = await status_service.apply(StatusUpdate.from_form(fields, request.query_params))
        except DomainError as error:
            return error_response(error)
        return JSONResponse({"status": result})

    async def passthru(request: Request) -> Response:
        try:
            transfer = await handoff.passthru(request.query_params)
        except DomainError as error:
            return error_response(error)
        if transfer:
            return PlainTextResponse("transfer", status_code=302)
        return PlainTextResponse("hangup", status_code=200)

    async def connect(request: Request) -> Response:
        try:
            number = await handoff.target_number(request.query_params)
        except DomainError as error:
            return error_response(error)
        return JSONResponse({"fetch_after_attempt": False, "destination": {"numbers": [number]}, "record": True})

    async def stream(request: Request) -> Response:
        try:
            url = await handoff.stream_url(
                request.query_params, platform.settings.public_url, platform.settings.resolved_secret_key()
            )
        except DomainError as error:
            return error_response(error)
        return JSONResponse({"url": url})

    return {
        Handler.EXOTEL_STATUS: status,
        Handler.EXOTEL_STREAM: stream,
        Handler.EXOTEL_PASSTHRU: passthru,
        Handler.EXOTEL_CONNECT: connect,
    }
