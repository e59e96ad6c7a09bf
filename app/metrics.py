"""Prometheus metrics: request counts and latencies per route and per GraphQL operation, event-loop lag."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LOOP_LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
TURN_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
# The stage of a turn each provider kind answers for (app/latency/turns.py names the stages).
TURN_STAGES = {"stt": ("stt_ms",), "llm": ("llm_ms", "sentence_ms"), "tts": ("tts_ms",)}


class Metrics:
    """One registry per platform, so several apps in one process (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "voiceai_http_requests_total",
            "HTTP requests by route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "voiceai_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.graphql_operations = Counter(
            "voiceai_graphql_operations_total",
            "GraphQL operations by name, type and outcome.",
            ("operation", "type", "outcome"),
            registry=self.registry,
        )
        self.graphql_latency = Histogram(
            "voiceai_graphql_operation_duration_seconds",
            "GraphQL operation latency by name.",
            ("operation", "type"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.provider_fallbacks = Counter(
            "voiceai_provider_fallbacks_total",
            "Sentences spoken or turns transcribed by the local provider instead of the remote one.",
            ("kind", "provider", "reason"),
            registry=self.registry,
        )
        self.call_analysis_fallbacks = Counter(
            "voiceai_call_analysis_fallbacks_total",
            "Post-call analyses the heuristic wrote because the LLM timed out, failed or answered off-schema.",
            ("reason",),
            registry=self.registry,
        )

        self.event_loop_lag = Histogram(
            "voiceai_event_loop_lag_seconds",
            "How late a 50 ms ticker on the event loop woke: the wait every call's audio frame and request shared.",
            buckets=LOOP_LAG_BUCKETS,
            registry=self.registry,
        )
        self.paused_player_repairs = Counter(
            "voiceai_paused_player_repairs_total",
            "Calls' players found paused after a caller turn with the caller quiet, and resumed (should stay 0).",
            registry=self.registry,
        )
        self.live_events_dropped = Counter(
            "voiceai_live_events_dropped_total",
            "Call events a shared bus subscription dropped on overflow.",
            registry=self.registry,
        )
        self.live_followers_recovered = Counter(
            "voiceai_live_followers_recovered_total",
            "Live followers of a call after an overflow: resynced from the replay, or cut_off to reconnect.",
            ("outcome",),
            registry=self.registry,
        )

        self.turn_stage_latency = Histogram(
            "voiceai_turn_stage_seconds",
            "One stage of an agent reply (stt: endpoint to final, llm: time to first token, sentence: first token "
            "to first sentence, tts: time to first audio) by the provider that served it.",
            ("stage", "provider"),
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.voice_to_voice = Histogram(
            "voiceai_voice_to_voice_seconds",
            "Caller's last voiced frame to the agent's first frame sent, per reply, by the providers of the call.",
            ("stt", "llm", "tts"),
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self._stage_children: dict[tuple[str, str], Any] = {}
        self._v2v_children: dict[tuple[str, str, str], Any] = {}

    def observe_turn(self, latency: Any) -> None:
        """An `app.latency.turns.TurnLatency`: its provider stages and its voice-to-voice figure. The labelled
        children are cached (the label lookup is most of an observation's cost)."""
        providers = latency.providers
        for kind, stages in TURN_STAGES.items():
            provider = getattr(providers, kind)
            for stage in stages:
                value = getattr(latency, stage)
                if value is not None:
                    self._turn_child(stage, provider).observe(value / 1000)
        if latency.voice_to_voice_ms is not None:
            key = (providers.stt, providers.llm, providers.tts)
            child = self._v2v_children.get(key)
            if child is None:
                child = self._v2v_children[key] = self.voice_to_voice.labels(*key)
            child.observe(latency.voice_to_voice_ms / 1000)

    def _turn_child(self, stage: str, provider: str) -> Any:
        key = (stage, provider)
        child = self._stage_children.get(key)
        if child is None:
            child = self._stage_children[key] = self.turn_stage_latency.labels(stage.removesuffix("_ms"), provider)
        return child

    def observe_live_overflow(self, overflow: Any) -> None:
        """An `app.calls.fanout.Overflow`: how many events were dropped and how the followers recovered."""
        self.live_events_dropped.inc(overflow.dropped)
        self.live_followers_recovered.labels("resynced").inc(overflow.resynced)
        self.live_followers_recovered.labels("cut_off").inc(overflow.cut_off)

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(method, route).observe(seconds)

    def observe_operation(self, operation: str, kind: str, ok: bool, seconds: float) -> None:
        self.graphql_operations.labels(operation, kind, "ok" if ok else "error").inc()
        self.graphql_latency.labels(operation, kind).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
