"""The speaker routes whose bodies are not JSON: two multipart uploads and the reference-audio stream.

Each shares its GraphQL twin's rate-limit bucket and answer shape and calls the same service. The body
size is refused by BodySizeLimit (the row's max_body_bytes) before the form is parsed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.auth.authenticator import bearer_token
from app.errors import DomainError, Invalid
from app.platform import Platform
from app.speakers.service import CREATED_MESSAGE
from compat_rest.routes import ROUTES, Handler, RestRoute
from compat_rest.shim import compile_route, error_response

Endpoint = Callable[[Request], Awaitable[Response]]


def _route(handler: Handler) -> RestRoute:
    return next(route for route in ROUTES if route.handler == handler)


CREATE = _route(Handler.SPEAKER_CREATE)
SAMPLE = _route(Handler.SPEAKER_SAMPLE)
REFERENCE = _route(Handler.SPEAKER_REFERENCE)


def _text(form: FormData, field: str) -> str | None:
    value = form.get(field)
    if isinstance(value, UploadFile):
        raise Invalid(f"{field} must be a text field, not a file")
    return value


async def _file(form: FormData, field: str) -> tuple[str, bytes | None]:
    value = form.get(field)
    if value is None:
        return "", None
    if not isinstance(value, UploadFile):
        raise Invalid(f"{field} must be a file")
    return value.filename or "", await value.read()


def _guarded(
    schema: strawberry.Schema,
    platform: Platform,
    route: RestRoute,
    run: Callable[[Request, str, FormData | None], Awaitable[Response]],
) -> Endpoint:
    """Authentication, the twin's rate limit, the multipart form (for POST) and error mapping."""
    twin = compile_route(schema, route)

    async def endpoint(request: Request) -> Response:
        form: FormData | None = None
        try:
            principal = await platform.authenticator.authenticate(bearer_token(request.headers.get("authorization")))
            if twin.rate_limit:
                await platform.rate_limiter.hit(twin.rate_limit, route.field or "", request.state.client_ip)
            if route.method == "POST":
                if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
                    raise Invalid("send the audio as multipart/form-data")
                try:
                    form = await request.form(max_files=1, max_fields=10)
                except Exception as error:  # the multipart parser's own errors (bad boundary, too many parts)
                    raise Invalid(f"malformed multipart body: {error}") from None
            return await run(request, principal.organisation_id, form)
        except DomainError as error:
            return error_response(error)
        finally:
            if form is not None:
                await form.close()

    return endpoint


def speaker_handlers(schema: strawberry.Schema, platform: Platform) -> dict[Handler, Endpoint]:
    speakers = platform.speakers

    async def create(request: Request, organisation: str, form: FormData | None) -> Response:
        assert form is not None
        filename, audio = await _file(form, "reference_audio")
        speaker = await speakers.create(
            organisation,
            name=_text(form, "name"),
            language=_text(form, "language"),
            description=_text(form, "description"),
            filename=filename,
            audio=audio,
        )
        return JSONResponse(
            {"name": speaker.name, "language": speaker.language, "status": "created", "message": CREATED_MESSAGE},
            status_code=CREATE.status,
        )

    async def sample(request: Request, organisation: str, form: FormData | None) -> Response:
        assert form is not None
        filename, audio = await _file(form, "audio")
        added = await speakers.add_sample(
            organisation,
            request.path_params["name"],
            transcript=_text(form, "transcript"),
            filename=filename,
            audio=audio,
        )
        return JSONResponse(
            {"sample_id": added.id, "duration_seconds": added.duration_seconds, "transcript": added.transcript},
            status_code=SAMPLE.status,
        )

    async def reference(request: Request, organisation: str, form: FormData | None) -> Response:
        audio = await speakers.reference(organisation, request.path_params["name"])
        return StreamingResponse(
            speakers.stream(audio.key), media_type=audio.content_type, headers={"Content-Length": str(audio.size_bytes)}
        )

    return {
        route.handler: _guarded(schema, platform, route, run)
        for route, run in ((CREATE, create), (SAMPLE, sample), (REFERENCE, reference))
        if route.handler
    }
