"""What every transport needs to start a session: providers, session defaults, flow resolution, clock."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from app.calls.reporting import CallReporter
from app.voice.clock import Clock, MonotonicClock
from app.voice.context import CallContext
from app.voice.flow_resolver import FlowResolver
from app.voice.providers.base import Providers
from app.voice.session_config import SessionConfig

ProvidersFactory = Callable[[CallContext], Providers]
ReporterFactory = Callable[[], CallReporter]


def local_providers(context: CallContext) -> Providers:
    """Fully offline: pocketsphinx, espeak-ng and the scripted policy."""
    from app.voice.providers.espeak_tts import EspeakTTS
    from app.voice.providers.pocketsphinx_stt import PocketsphinxSTT
    from app.voice.providers.scripted_llm import ScriptedPolicy

    return Providers(stt=PocketsphinxSTT(), tts=EspeakTTS(), llm=ScriptedPolicy(context.script))


@dataclass(frozen=True)
class VoiceRuntime:
    reporter_factory: ReporterFactory
    providers: ProvidersFactory = local_providers
    session: SessionConfig = field(default_factory=SessionConfig)
    resolver: FlowResolver = field(default_factory=FlowResolver)
    clock: Clock = field(default_factory=MonotonicClock)
    start_timeout: float = 10.0   # Exotel expects an answer within 10 s

    def session_config(self, rate: int) -> SessionConfig:
        return replace(self.session, rate=rate)

    def with_recordings(self, directory: Path | None) -> "VoiceRuntime":
        return replace(self, session=replace(self.session, recordings_dir=directory))
