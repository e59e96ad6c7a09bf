"""POST /customers/import: the one REST route that is not a GraphQL document, because its body is a
multipart file upload. It shares the `importCustomers` twin's rate-limit bucket and answer shape, and
calls the same app service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.auth.authenticator import bearer_token
from app.errors import DomainError, Invalid
from app.platform import Platform
from compat_rest.routes import ROUTES
from compat_rest.shim import compile_route, error_response

ROUTE = next(route for route in ROUTES if route.method == "POST" and route.path == "/customers/import")
MAX_FILES = 1


def import_handler(schema: strawberry.Schema, platform: Platform) -> Callable[[Request], Awaitable[Response]]:
    twin = compile_route(schema, ROUTE)
    scope = ROUTE.field or ""

    async def endpoint(request: Request) -> Response:
        try:
            principal = await platform.authenticator.authenticate(bearer_token(request.headers.get("authorization")))
            if twin.rate_limit:
                await platform.rate_limiter.hit(twin.rate_limit, scope, request.state.client_ip)
            content_type = request.headers.get("content-type", "")
            if not content_type.lower().startswith("multipart/form-data"):
                raise Invalid("file: send the file as multipart/form-data in a field named file")
            try:
                form = await request.form(max_files=MAX_FILES, max_fields=10)
            except Exception as error:  # the multipart parser's own errors (bad boundary, too many parts)
                raise Invalid(f"file: malformed multipart body: {error}") from None
            try:
                upload = form.get("file")
                if not isinstance(upload, UploadFile):
                    raise Invalid("file is required")
                result = await platform.customer_import.run(
                    principal.organisation_id, upload.filename or "", upload.file
                )
            finally:
                await form.close()
        except DomainError as error:
            return error_response(error)
        return JSONResponse(
            {
                "imported": result.imported,
                "updated": result.updated,
                "skipped": result.skipped,
                "errors": [{"row": e.row, "phone": e.phone, "reason": e.reason} for e in result.errors],
            },
            status_code=ROUTE.status,
        )

    return endpoint
