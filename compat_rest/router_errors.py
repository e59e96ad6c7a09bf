"""The router's own errors as the contract's JSON: `{"detail": ...}` for 404, 405 and unexpected 500s,
and a 405's `Allow` listing every method the path takes (Starlette names only the first route's)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Scope

log = logging.getLogger("compat_rest.router")

DETAILS = {404: "Not found", 405: "Method not allowed"}


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    methods: set[str] = set()
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            methods |= allowed_methods(route.routes, {**scope, **child})
        elif isinstance(route, Route) and route.methods:
            methods |= route.methods
    return methods


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    headers: dict[str, Any] = dict(error.headers or {})
    if error.status_code == 405:
        # Matched from the top again: the scope here has been rewritten by the Mount it went through.
        top = {
            "type": "http",
            "method": request.method,
            "path": request.scope["path"],
            "root_path": request.scope.get("app_root_path", ""),
        }
        headers["Allow"] = ", ".join(sorted(allowed_methods(request.app.routes, top)))
    detail = DETAILS.get(error.status_code, error.detail)
    return JSONResponse({"detail": detail}, status_code=error.status_code, headers=headers)


async def server_error(request: Request, error: Exception) -> Response:
    """Starlette's last resort: still the contract's shape (the traceback is logged by the server)."""
    return JSONResponse({"detail": "Internal server error"}, status_code=500)


EXCEPTION_HANDLERS = {HTTPException: http_error, Exception: server_error}
