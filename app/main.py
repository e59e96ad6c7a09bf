"""The composition root: builds the platform and mounts its doors (GraphQL, REST shim, health, metrics).

This is the one app module allowed to import `schema` and `compat_rest`; services never do.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute, compile_path
from tortoise import connections

from app.config import Settings
from app.db.setup import close_database, open_database
from app.loop_lag import LoopLagMonitor
from app.platform import Platform
from app.voice.routes import voice_routes
from app.voice.warmup import warm_up
from app.web.body_limit import BodySizeLimit
from app.web.client_ip import ClientAddress
from app.web.console_routes import console_routes
from app.web.global_rate_limit import GlobalRateLimit
from app.web.request_metrics import RequestMetrics
from compat_rest.handlers import handler_endpoints
from compat_rest.live_socket import live_socket
from compat_rest.openapi import openapi_document
from compat_rest.router_errors import EXCEPTION_HANDLERS
from compat_rest.routes import BASE_PATH, ROUTES
from compat_rest.shim import build_routes
from schema import build_schema
from schema.view import PlatformGraphQL

log = logging.getLogger("app")

# GraphQL multipart uploads carry the same files as the REST upload routes; JSON requests keep the default.
GRAPHQL_UPLOAD_BYTES = max(route.max_body_bytes or 0 for route in ROUTES)

# Provider callbacks come from a few carrier IPs at campaign volume: they are validated, not IP-limited.
RATE_LIMIT_EXEMPT = frozenset(
    {
        f"{BASE_PATH}/webhooks/exotel/status",
        f"{BASE_PATH}/webhooks/exotel/passthru",
        f"{BASE_PATH}/webhooks/exotel/stream",
        f"{BASE_PATH}/webhooks/exotel/connect",
        f"{BASE_PATH}/ws/exotel",
    }
)


async def healthz(request: Request) -> Response:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as error:  # any failure to reach the database means not healthy
        log.warning("health check failed: %s", error)
        return JSONResponse({"status": "unavailable", "detail": "database is not answering"}, status_code=503)
    return JSONResponse({"status": "ok"})


def freeze_startup_heap() -> None:
    """Modules, the schema and the route table live as long as the process: moved out of the collector's
    reach, they stop making every full collection walk ~130,000 objects (a 30-290 ms pause on the loop that
    carries every call's audio and live events; docs/performance.md, live fan-out)."""
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None, *, platform: Platform | None = None, manage_database: bool = True
) -> Starlette:
    """`manage_database=False` lets tests share one already-migrated database across apps."""
    settings = settings or Settings.from_env()
    platform = platform or Platform.build(settings)
    schema = build_schema(max_depth=settings.graphql_max_depth, max_tokens=settings.graphql_max_tokens)
    graphql = PlatformGraphQL(schema, platform)
    document = openapi_document(schema)

    async def metrics(request: Request) -> Response:
        return Response(platform.metrics.render(), media_type="text/plain; version=0.0.4")

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await open_database(settings.database_url, create_db=False)
        await platform.start_lease()
        platform.start_workers()
        if manage_database:  # a served process (tests share one app set-up and load these on demand)
            warm_up()
            freeze_startup_heap()
        loop_lag = LoopLagMonitor(platform.metrics.event_loop_lag.observe)
        loop_lag.start()  # after the startup work, so it measures the serving loop
        try:
            yield
        finally:
            await loop_lag.stop()
            await platform.aclose()
            if manage_database:
                await close_database()

    api = [
        Route("/graphql", graphql, methods=["GET", "POST"], name="graphql"),
        WebSocketRoute("/graphql", graphql, name="graphql-ws"),
        WebSocketRoute("/ws/live/{call_uuid}", live_socket(platform), name="live-call"),
        *voice_routes(platform.voice, lambda: platform.reporter),
        Route("/openapi.json", openapi, methods=["GET"], name="openapi"),
        *build_routes(schema, platform, handlers=handler_endpoints(schema, platform)),
    ]
    overrides = [
        (compile_path(BASE_PATH + route.path)[0], route.max_body_bytes) for route in ROUTES if route.max_body_bytes
    ]
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Mount(BASE_PATH, routes=api),
            *console_routes(),
        ],
        middleware=[
            Middleware(RequestMetrics, metrics=platform.metrics),
            Middleware(ClientAddress, trusted_proxies=settings.trusted_proxies),
            Middleware(
                BodySizeLimit,
                default_limit=settings.max_body_bytes,
                overrides=overrides,
                multipart_overrides=[(compile_path(f"{BASE_PATH}/graphql")[0], GRAPHQL_UPLOAD_BYTES)],
            ),
            Middleware(GlobalRateLimit, limiter=platform.rate_limiter, prefix=BASE_PATH, exempt=RATE_LIMIT_EXEMPT),
        ],
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.platform = platform
    app.state.schema = schema
    return app
