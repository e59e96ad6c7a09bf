"""GET /calls/{uuid}/recording?token=: streams audio, so it is a Starlette handler rather than a GraphQL
document. It authenticates like every door (token in the query or a bearer header) and calls the app's
RecordingService; `callRecording` is its GraphQL twin.

Platform recordings stream from blob storage; provider recordings are proxied with aiohttp chunk by
chunk, never buffered whole. Single `Range` requests work for both (206 + Content-Range; 416 when
unsatisfiable)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.auth.authenticator import bearer_token
from app.calls.recordings import NO_RECORDING, Recording, RecordingService, byte_range
from app.errors import DomainError, Invalid, NotFound
from app.platform import Platform
from compat_rest.shim import error_response

PROXIED_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "Accept-Ranges")


def recording_handler(platform: Platform) -> Callable[[Request], Awaitable[Response]]:
    recordings = RecordingService(platform.calls, platform.blob_store)

    async def endpoint(request: Request) -> Response:
        try:
            token = request.query_params.get("token") or bearer_token(request.headers.get("authorization"))
            principal = await platform.authenticator.authenticate(token)
            recording = await recordings.locate(principal.organisation_id, request.path_params["call_uuid"])
            if recording.source == "platform":
                return await _from_blobs(recordings, recording, request.headers.get("range"))
            return await _from_provider(recording, request.headers.get("range"))
        except DomainError as error:
            return error_response(error)

    return endpoint


async def _from_blobs(recordings: RecordingService, recording: Recording, range_header: str | None) -> Response:
    try:
        size = await recordings.blobs.size(recording.location)
    except (NotFound, FileNotFoundError, ValueError):
        raise NotFound(NO_RECORDING) from None
    headers = {"Accept-Ranges": "bytes"}
    try:
        wanted = byte_range(range_header, size)
    except Invalid:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    start, end = wanted or (0, size - 1)
    headers["Content-Length"] = str(end - start + 1)
    if wanted:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(
        recordings.blobs.open(recording.location, start, end + 1),
        status_code=206 if wanted else 200,
        headers=headers,
        media_type=recording.media_type,
    )


async def _from_provider(recording: Recording, range_header: str | None) -> Response:
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=30))
    try:
        upstream = await session.get(recording.location, headers={"Range": range_header} if range_header else None)
    except (aiohttp.ClientError, OSError):
        await session.close()
        return JSONResponse({"detail": "Recording is not reachable at the provider"}, status_code=502)
    if upstream.status in (404, 410):
        upstream.release()
        await session.close()
        raise NotFound(NO_RECORDING)
    if upstream.status == 416 or upstream.status >= 400:
        status = upstream.status
        content_range = upstream.headers.get("Content-Range")
        upstream.release()
        await session.close()
        if status == 416:
            return Response(status_code=416, headers={"Content-Range": content_range} if content_range else None)
        return JSONResponse({"detail": "Recording is not reachable at the provider"}, status_code=502)
    headers = {name: upstream.headers[name] for name in PROXIED_HEADERS if name in upstream.headers}
    headers.setdefault("Content-Type", recording.media_type)

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.content.iter_chunked(64 * 1024):
                yield chunk
        finally:
            upstream.release()
            await session.close()

    return StreamingResponse(body(), status_code=upstream.status, headers=headers)
