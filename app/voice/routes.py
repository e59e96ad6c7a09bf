"""The voice WebSocket routes, to be mounted under `/api/voice` by the composition root."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from app.voice.flow_resolver import FlowResolver
from app.voice.runtime import ReporterFactory, VoiceRuntime
from app.voice.transports.browser import BrowserTestStream
from app.voice.transports.exotel import ExotelStream
from app.voice.transports.exotel_auth import socket_auth_for


def _resolver(platform: Any) -> FlowResolver:
    """Account SIDs are checked against the organisation's Exotel integration; its Sarvam key is used."""
    integrations = getattr(platform, "integrations", None)
    if integrations is None:
        return FlowResolver()
    from app.integrations.accounts import IntegrationAccounts

    telephony = getattr(platform.settings, "telephony", "auto")
    return FlowResolver(IntegrationAccounts(integrations, telephony), integrations, platform.tools)


def voice_routes(platform: Any, reporter_factory: ReporterFactory, runtime: VoiceRuntime | None = None,
                 ) -> list[WebSocketRoute]:
    """`reporter_factory()` is called once per call and returns a `CallReporter`.

    Without a runtime: provider choice from the platform settings (local providers when no keys) and
    recordings spooled under the data directory and streamed into `platform.blob_store` under
    `recordings/<org>/<call>.wav`, and `/ws/exotel`
    checked against the connected Exotel accounts (`exotel_auth.socket_auth_for`). A given runtime brings its
    own `exotel_auth` (open by default: tests and embedded runtimes).
    """
    if runtime is None:
        from app.voice.providers.selection import ProviderSelector

        from app.voice.analysis_choice import AnalyserChoice

        metrics = getattr(platform, "metrics", None)
        selector = ProviderSelector(platform.settings, metrics=metrics)
        analysers = AnalyserChoice(getattr(platform.settings, "extra", None) or {}, metrics)
        runtime = VoiceRuntime(reporter_factory, providers=selector.providers,
                               resolver=_resolver(platform), analysers=analysers.for_call)
        spool = platform.settings.recording_spool_root()   # swept by the platform's SpoolRecovery after a crash
        runtime = replace(runtime.with_recordings(getattr(platform, "blob_store", None), spool),
                          exotel_auth=socket_auth_for(platform))
        runtime = replace(runtime, session=replace(runtime.session, tool_transport=platform.tool_transport,
                                                   tool_log=platform.tool_records, callbacks=platform.callbacks))
    else:
        runtime = replace(runtime, reporter_factory=reporter_factory)

    async def exotel(websocket: WebSocket) -> None:
        await ExotelStream(websocket, runtime).run()

    async def browser_test(websocket: WebSocket) -> None:
        stream = BrowserTestStream(websocket, runtime, platform.authenticator)
        await stream.run(websocket.path_params["flow_uuid"], websocket.query_params.get("token"))

    return [
        WebSocketRoute("/ws/exotel", exotel, name="voice-exotel"),
        WebSocketRoute("/ws/browser-test/{flow_uuid}", browser_test, name="voice-browser-test"),
    ]
