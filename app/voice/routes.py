"""The voice WebSocket routes, to be mounted under `/api/voice` by the composition root."""

from __future__ import annotations

from dataclasses import replace

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from app.voice.door import VoiceDoor
from app.voice.runtime import ReporterFactory, VoiceRuntime
from app.voice.transports.browser import BrowserTestStream
from app.voice.transports.exotel import ExotelStream
from app.voice.transports.exotel_auth import socket_auth_for


def platform_runtime(door: VoiceDoor, reporter_factory: ReporterFactory) -> VoiceRuntime:
    """Provider choice from the platform settings (local providers when no keys), recordings spooled under
    the data directory and streamed into `door.blob_store` under `recordings/<org>/<call>.wav`, and
    `/ws/exotel` checked against the connected Exotel accounts (`exotel_auth.socket_auth_for`)."""
    from app.voice.analysis_choice import (
        AnalyserChoice,  # the providers load only when serving calls
    )
    from app.voice.call_metrics import CallMetrics
    from app.voice.providers.selection import ProviderSelector

    selector = ProviderSelector(door.settings, metrics=door.metrics)
    analysers = AnalyserChoice(door.settings.extra or {}, door.metrics)
    runtime = VoiceRuntime(
        reporter_factory,
        providers=selector.providers,
        resolver=door.resolver,
        analysers=analysers.for_call,
        metrics=door.metrics,
        observers=(CallMetrics(door.metrics),),
    )
    spool = door.settings.recording_spool_root()  # swept by the platform's SpoolRecovery after a crash
    runtime = replace(runtime.with_recordings(door.blob_store, spool), exotel_auth=socket_auth_for(door))
    return replace(
        runtime,
        session=replace(
            runtime.session, tool_transport=door.tool_transport, tool_log=door.tool_log, callbacks=door.callbacks
        ),
    )


def voice_routes(
    door: VoiceDoor | None,
    reporter_factory: ReporterFactory,
    runtime: VoiceRuntime | None = None,
) -> list[BaseRoute]:
    """`reporter_factory()` is called once per call and returns a `CallReporter`.

    Without a runtime, the platform's (`platform_runtime`). A given runtime brings its own `exotel_auth`
    (open by default: tests and embedded runtimes). Without a door (benchmarks), only `/ws/exotel` is
    mounted: the browser test call needs the platform's authenticator.
    """
    if runtime is None:
        if door is None:
            raise ValueError("voice_routes needs the platform's door or a runtime")
        runtime = platform_runtime(door, reporter_factory)
    else:
        runtime = replace(runtime, reporter_factory=reporter_factory)
    ready = runtime

    async def exotel(websocket: WebSocket) -> None:
        await ExotelStream(websocket, ready).run()

    routes: list[BaseRoute] = [WebSocketRoute("/ws/exotel", exotel, name="voice-exotel")]
    if door is not None:
        authenticator = door.authenticator

        async def browser_test(websocket: WebSocket) -> None:
            stream = BrowserTestStream(websocket, ready, authenticator)
            await stream.run(websocket.path_params["flow_uuid"], websocket.query_params.get("token"))

        routes.append(WebSocketRoute("/ws/browser-test/{flow_uuid}", browser_test, name="voice-browser-test"))
    return routes
