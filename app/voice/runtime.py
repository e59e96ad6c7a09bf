"""What every transport needs to start a session: providers, session defaults, flow resolution, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.blobs import BlobStore
from app.calls.contract import CallReporter
from app.metrics import Metrics
from app.voice.analysis import CallAnalyser, HeuristicAnalyser
from app.voice.clock import Clock, MonotonicClock
from app.voice.context import CallContext
from app.voice.flow_resolver import FlowResolver
from app.voice.providers.base import Providers
from app.voice.session_config import SessionConfig
from app.voice.session_events import SessionObserver
from app.voice.transports.exotel_auth import ExotelSocketAuth, OpenSocket

ProvidersFactory = Callable[[CallContext], Providers]
ReporterFactory = Callable[[], CallReporter]
AnalyserFactory = Callable[[CallContext], CallAnalyser]


def local_providers(context: CallContext) -> Providers:
    """Fully offline: pocketsphinx, espeak-ng and the scripted policy."""
    from app.voice.providers.espeak_tts import EspeakTTS
    from app.voice.providers.pocketsphinx_stt import PocketsphinxSTT
    from app.voice.providers.scripted_llm import ScriptedPolicy

    return Providers(stt=PocketsphinxSTT(), tts=EspeakTTS(), llm=ScriptedPolicy.for_call(context))


def heuristic_analysis(context: CallContext) -> CallAnalyser:
    return HeuristicAnalyser()


@dataclass(frozen=True)
class VoiceRuntime:
    reporter_factory: ReporterFactory
    providers: ProvidersFactory = local_providers
    session: SessionConfig = field(default_factory=SessionConfig)
    resolver: FlowResolver = field(default_factory=FlowResolver)
    clock: Clock = field(default_factory=MonotonicClock)
    start_timeout: float = 10.0  # Exotel expects an answer within 10 s
    exotel_auth: ExotelSocketAuth = field(default_factory=OpenSocket)  # who may open /ws/exotel
    analysers: AnalyserFactory = heuristic_analysis  # who writes up each call (analysis_choice.py)
    metrics: Metrics | None = None  # each measured reply's latency goes to its histograms
    observers: tuple[SessionObserver, ...] = ()  # subscribed to every call's session events (metrics)

    def session_config(self, rate: int) -> SessionConfig:
        observe = self.metrics.observe_turn if self.metrics is not None else self.session.on_turn_latency
        return replace(self.session, rate=rate, on_turn_latency=observe)

    def with_recordings(self, store: BlobStore | None, spool: Path | None = None) -> VoiceRuntime:
        """Recordings into `store` (None: calls are not recorded), spooled in `spool` while calls run."""
        return replace(self, session=replace(self.session, recordings=store, recording_spool=spool))
