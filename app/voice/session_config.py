"""Per-call tunables of the session, with the flow's config able to override them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from app.blobs import BlobStore
from app.latency.turns import TurnLatency
from app.tools.invoker import ToolTransport
from app.tools.records import ToolLog
from app.turn_taking.config import TurnTakingConfig, turn_taking_of
from app.voice.vad import EndpointConfig


class CallbackBooking(Protocol):
    """Books the callback a caller asked for (`app.dialer.callbacks.CallbackService`)."""

    async def schedule(self, call_id: str, when: str, note: str | None) -> Any: ...


@dataclass(frozen=True)
class SessionConfig:
    rate: int = 8000
    vad_aggressiveness: int = 2
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)  # start_ms and min_speech_ms
    turn_taking: TurnTakingConfig = field(default_factory=TurnTakingConfig)
    silence_timeout: float = 8.0  # caller silence before a re-prompt
    max_reprompts: int = 1  # then a polite goodbye
    max_duration: float = 1800.0  # hard limit on the call
    mark_timeout: float = 2.0  # how long an utterance waits for the transport's mark
    detect_voicemail: bool = True  # outbound calls only: greeting + beep ends the call as voicemail
    recordings: BlobStore | None = None  # where recordings go (key recordings/<org>/<call>.wav); None = off
    recording_spool: Path | None = None  # raw audio while the call runs (the platform: data_dir/spool/recordings,
    # swept after a crash by spool_recovery); None = system temp
    tool_transport: ToolTransport | None = None  # in-call HTTP tools (issue 16); None = the call offers none
    tool_log: ToolLog | None = None  # where their invocations are recorded
    tool_filler_after: float = 1.0  # seconds of waiting on a tool before the waiting line is spoken
    callbacks: CallbackBooking | None = None  # where schedule_callback books; None = only the end reason
    reprompt_text: str = "Are you still there?"
    goodbye_text: str = "I'll let you go now. Thank you for your time, goodbye!"
    fallback_text: str = "Sorry, could you say that again?"
    metering: bool = True  # per-turn latency and usage per call (`call_meter`); off: neither
    on_turn_latency: Callable[[TurnLatency], None] | None = None  # each measured reply (Prometheus)

    def for_flow(self, config: Mapping[str, Any]) -> SessionConfig:
        """Flow config keys (all optional): max_call_duration_seconds, silence_timeout_seconds,
        endpointing_ms, vad_aggressiveness, turn_taking (validated when the flow was saved). `endpointing_ms`
        without `turn_taking` keeps its meaning from before issue 15: a fixed closing silence."""
        changes: dict[str, Any] = {}
        if isinstance(config.get("max_call_duration_seconds"), (int, float)):
            changes["max_duration"] = float(config["max_call_duration_seconds"])
        if isinstance(config.get("silence_timeout_seconds"), (int, float)):
            changes["silence_timeout"] = float(config["silence_timeout_seconds"])
        if "turn_taking" in config:
            changes["turn_taking"] = turn_taking_of(config)
        elif isinstance(config.get("endpointing_ms"), int):
            fixed = min(max(config["endpointing_ms"], 100), 3000)
            changes["endpoint"] = replace(self.endpoint, endpoint_ms=fixed)
            changes["turn_taking"] = replace(
                self.turn_taking,
                min_endpoint_ms=fixed,
                endpoint_ms=fixed,
                rising_endpoint_ms=fixed,
                max_endpoint_ms=fixed,
            )
        if config.get("vad_aggressiveness") in (0, 1, 2, 3):
            changes["vad_aggressiveness"] = config["vad_aggressiveness"]
        return replace(self, **changes)
