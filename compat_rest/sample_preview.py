"""GET /samples/{uuid}/preview: a WAV an `<audio>` element can play, so it takes `?token=` like the
recording route; it authenticates as every door does and calls the samples service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from app.auth.authenticator import bearer_token
from app.errors import DomainError
from app.platform import Platform
from compat_rest.shim import error_response


def sample_preview_handler(platform: Platform) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            token = request.query_params.get("token") or bearer_token(request.headers.get("authorization"))
            principal = await platform.authenticator.authenticate(token)
            audio = await platform.samples.preview(principal.organisation_id, request.path_params["sample_uuid"])
        except DomainError as error:
            return error_response(error)
        return Response(audio, media_type="audio/wav", headers={"Cache-Control": "private, max-age=86400"})

    return endpoint
